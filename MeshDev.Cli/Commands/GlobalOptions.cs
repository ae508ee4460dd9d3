using System.CommandLine;
using MeshDev.Cli.Output;

namespace MeshDev.Cli.Commands;

/// <summary>
/// The options every command takes: where the control plane is, the credential its API takes, and how to print. This
/// is the one place meshctl finds the control plane: an option, else an environment variable, else what a local run
/// leaves (the well-known address; the token file the AppHost writes beside itself).
/// </summary>
public sealed class GlobalOptions
{
    public const string ControlPlaneVariable = "MESHDEV_CONTROL_PLANE";
    public const string DefaultControlPlane = "http://localhost:15080";
    public const string TokenVariable = "MESHDEV_API_TOKEN";

    /// <summary>Where an AppHost run leaves the API token, relative to the AppHost's folder (or any folder above the working one).</summary>
    public static readonly string TokenFile = Path.Combine(".meshdev", "api-token");

    public GlobalOptions(Func<string, string?> environment, string workingDirectory)
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

        Token = new Option<string?>("--token")
        {
            Description = $"The control plane's API token (environment variable {TokenVariable}; else {TokenFile} in the current folder, a folder directly inside it or one above it, which an AppHost run writes)",
            HelpName = "token",
            Recursive = true,
            DefaultValueFactory = _ => environment(TokenVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment.Trim()
                : FindTokenFile(workingDirectory) is { } file ? File.ReadAllText(file).Trim() : null,
        };

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

    public Option<string?> Token { get; }

    public Option<string> Output { get; }

    public void AddTo(RootCommand root)
    {
        root.Options.Add(ControlPlane);
        root.Options.Add(Token);
        root.Options.Add(Output);
    }

    /// <summary>
    /// The <see cref="TokenFile"/> of the working folder; else of a folder directly inside it (a solution folder whose
    /// AppHost project sits one level down: the newest, which is the latest run's); else of the nearest folder above it,
    /// as git finds its repository.
    /// </summary>
    public static string? FindTokenFile(string directory)
    {
        var start = new DirectoryInfo(directory);
        if (TokenFileIn(start) is { } own)
        {
            return own;
        }

        if (start.Exists && start.EnumerateDirectories().Select(TokenFileIn).OfType<string>()
                .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() is { } inside)
        {
            return inside;
        }

        for (var current = start.Parent; current is not null; current = current.Parent)
        {
            if (TokenFileIn(current) is { } above)
            {
                return above;
            }
        }

        return null;
    }

    private static string? TokenFileIn(DirectoryInfo folder) =>
        Path.Combine(folder.FullName, TokenFile) is var candidate && File.Exists(candidate) ? candidate : null;
}
