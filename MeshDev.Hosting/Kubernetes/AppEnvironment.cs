namespace MeshDev.Hosting.Kubernetes;

/// <summary>
/// Which of an app's environment variables travel to its Deployment: the ones the AppHost sets for the app itself
/// (SERVICE_VERSION, STAR_COLOR...). Where the app listens, where its upstreams are and where telemetry goes are
/// decided by the pod, so Aspire's own values for them are left out.
/// </summary>
internal static class AppEnvironment
{
    private static readonly string[] DerivedPrefixes = ["OTEL_", "ASPNETCORE_", "DOTNET_", "services__", "ConnectionStrings__"];
    private static readonly string[] DerivedNames = ["HTTP_PORTS", "HTTPS_PORTS", "PORT"];

    public static IReadOnlyList<KeyValuePair<string, string>> Select(IEnumerable<KeyValuePair<string, string>> environment) =>
        environment
            .Where(pair => !DerivedNames.Contains(pair.Key, StringComparer.Ordinal)
                && !DerivedPrefixes.Any(prefix => pair.Key.StartsWith(prefix, StringComparison.Ordinal))
                // A value that refers to another resource ({name.bindings...}) is an address on one machine.
                && !pair.Value.Contains('{', StringComparison.Ordinal))
            .OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .ToList();
}
