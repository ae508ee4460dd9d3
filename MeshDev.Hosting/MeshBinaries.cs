using System.Reflection;
using Aspire.Hosting;

namespace MeshDev.Hosting;

/// <summary>
/// Finds the proxy and control plane programs. They travel inside this library's build output (folder
/// <c>meshdev/</c>, put there by MeshDev.Hosting's build targets), the way Aspire carries DCP and its dashboard, so a
/// user's AppHost runs them without referencing MeshDev's projects. An environment variable can point elsewhere.
/// </summary>
internal static class MeshBinaries
{
    public const string ProxyPathVariable = "MESHDEV_PROXY_PATH";
    public const string ControlPlanePathVariable = "MESHDEV_CONTROLPLANE_PATH";

    public static string ProxyAssembly => Locate(ProxyPathVariable, "proxy", "MeshDev.Proxy.dll");

    public static string ControlPlaneAssembly => Locate(ControlPlanePathVariable, "controlplane", "MeshDev.ControlPlane.dll");

    /// <summary>The dotnet host that runs the AppHost runs the mesh programs too, so no PATH lookup can pick another one.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";

    private static string Locate(string variable, string folder, string fileName)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } overridden)
        {
            return File.Exists(overridden)
                ? overridden
                : throw new DistributedApplicationException($"{variable} points at '{overridden}', which does not exist.");
        }

        var searched = new List<string>();
        foreach (var directory in CandidateDirectories())
        {
            var candidate = Path.Combine(directory, "meshdev", folder, fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
            searched.Add(candidate);
        }

        throw new DistributedApplicationException(
            $"MeshDev could not find {fileName}. Looked in: {string.Join(", ", searched)}. " +
            $"Rebuild the AppHost (MeshDev.Hosting's build copies it into meshdev/{folder}/) or set {variable}.");
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string?[] directories =
        [
            Path.GetDirectoryName(typeof(MeshBinaries).Assembly.Location),
            AppContext.BaseDirectory,
            Path.GetDirectoryName(Assembly.GetEntryAssembly()?.Location),
        ];
        foreach (var directory in directories)
        {
            if (!string.IsNullOrEmpty(directory) && seen.Add(directory))
            {
                yield return directory;
            }
        }
    }
}
