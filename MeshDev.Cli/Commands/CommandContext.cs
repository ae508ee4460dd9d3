using System.CommandLine;
using MeshDev.Cli.Api;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>What one command run works with: the API, the chosen output format and the streams.</summary>
public sealed class CommandContext(ControlPlaneClient api, OutputFormat format, CliConsole console) : IDisposable
{
    public ControlPlaneClient Api { get; } = api;
    public OutputFormat Format { get; } = format;
    public CliConsole Console { get; } = console;
    public TextWriter Out => Console.Out;
    public TextWriter Error => Console.Error;

    public static CommandContext From(ParseResult parse, GlobalOptions options, CliConsole console)
    {
        var baseAddress = parse.GetValue(options.ControlPlane)!;
        return new CommandContext(
            new ControlPlaneClient(new Uri(baseAddress.EndsWith('/') ? baseAddress : baseAddress + "/"), parse.GetValue(options.Token)),
            OutputFormats.Parse(parse.GetValue(options.Output)),
            console);
    }

    public void Dispose() => Api.Dispose();
}
