using System.Reflection;
using System.Runtime.Loader;

/// <summary>
/// Run by DOTNET_STARTUP_HOOKS before the control plane's Main: lets ASP.NET Core's hosting startup find this
/// assembly by name, although it is not among the control plane's own dependencies.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var self = typeof(StartupHook).Assembly;
        AssemblyLoadContext.Default.Resolving += (_, name) =>
            AssemblyName.ReferenceMatchesDefinition(name, self.GetName()) ? self : null;
    }
}
