using System.CommandLine;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>The options every command takes: where the control plane is and how to print.</summary>
public sealed class GlobalOptions
{
    public const string ControlPlaneVariable = "MESHDEV_CONTROL_PLANE";
    public const string DefaultControlPlane = "http://localhost:15080";

    public GlobalOptions(Func<string, string?> environment)
    {
        ControlPlane = new Option<string>("--control-plane")
        {
            Description = $"The control plane's HTTP address (environment variable {ControlPlaneVariable})",
            HelpName = "url",
            Recursive = true,
            DefaultValueFactory = _ => environment(ControlPlaneVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultControlPlane,
        };
        ControlPlane.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                result.AddError($"--control-plane must be an http:// or https:// URL, not '{value}'");
            }
        });

        Output = new Option<string>("--output", "-o")
        {
            Description = "How to print: table, json or yaml",
            HelpName = "format",
            Recursive = true,
            DefaultValueFactory = _ => "table",
        };
        Output.AcceptOnlyFromAmong(OutputFormats.Names);
    }

    public Option<string> ControlPlane { get; }

    public Option<string> Output { get; }

    public void AddTo(RootCommand root)
    {
        root.Options.Add(ControlPlane);
        root.Options.Add(Output);
    }
}
