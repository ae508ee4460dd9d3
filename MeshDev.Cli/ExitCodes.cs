namespace MeshDev.Cli;

/// <summary>What meshctl's exit code tells a script; documented in --help and docs/meshctl.md.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked (analyze: the config is valid, warnings allowed).</summary>
    public const int Success = 0;

    /// <summary>The mesh refused or reported a problem: invalid config, an unknown resource or proxy, a failed delete.</summary>
    public const int Failed = 1;

    /// <summary>meshctl could not do its job: bad usage, an unreadable file, an unreachable control plane or proxy.</summary>
    public const int UsageOrUnreachable = 2;

    public const string HelpText = """
        Exit codes:
          0  success (analyze: the config is valid; warnings are allowed)
          1  the mesh refused or reported a problem: invalid config, unknown resource or proxy, failed delete
          2  bad usage, an unreadable file, or the control plane (or a proxy's admin listener) cannot be reached
        """;
}
