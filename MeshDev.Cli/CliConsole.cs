namespace MeshDev.Cli;

/// <summary>The three streams a command reads and writes, so that meshctl can run in-process with its own writers.</summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    public static CliConsole System => new(Console.In, Console.Out, Console.Error);
}
