namespace MeshDev.Cli;

/// <summary>A failure meshctl reports as one line on stderr ("meshctl: ...") with the given exit code.</summary>
public class MeshctlException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
