using System.CommandLine;
using MeshDev.Cli.Kubernetes;

namespace MeshDev.Cli.Commands;

/// <summary>
/// meshctl kube secrets &lt;dir&gt;: prints the Secrets a generated Kubernetes tree needs, for
/// <c>meshctl kube secrets deploy/bookinfo/meshdev | kubectl apply -f -</c>. Needs no control plane.
/// </summary>
public static class KubeCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("kube", "Work with the Kubernetes output the AppHost's publish step writes");
        var tree = new Argument<DirectoryInfo>("dir") { Description = "The folder the publish step wrote (with kustomization.yaml)" };
        var caCert = new Option<FileInfo?>("--ca-cert") { Description = "A CA certificate (PEM) for the control plane to sign with; needs --ca-key" };
        var caKey = new Option<FileInfo?>("--ca-key") { Description = "The CA certificate's private key (PEM)" };
        var caSecret = new Option<string>("--ca-secret") { Description = "The Secret to hold them", DefaultValueFactory = _ => "meshdev-ca" };
        var secrets = new Command("secrets", """
            Print the Secrets the tree refers to, as YAML for `kubectl apply -f -`: meshdev-bootstrap (a new random key)
            and meshdev-token-<service account> for every proxy identity in the tree, minted with that key. Running it
            again makes a new key: restart the mesh's pods afterwards. Also meshdev-api-token, the control plane API's credential.
            """)
        {
            tree, caCert, caKey, caSecret,
        };
        secrets.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var cert = parse.GetValue(caCert);
                var key = parse.GetValue(caKey);
                if ((cert is null) != (key is null))
                {
                    throw new MeshctlException("--ca-cert and --ca-key go together.", ExitCodes.UsageOrUnreachable);
                }
                (string, string, string)? ca = cert is null ? null
                    : (parse.GetValue(caSecret)!, await ReadAsync(cert, cancellationToken), await ReadAsync(key!, cancellationToken));
                var made = DeploySecrets.Create(parse.GetValue(tree)!.FullName, caSecret: ca);
                await console.Out.WriteAsync(DeploySecrets.ToYaml(made));
                return ExitCodes.Success;
            }
            catch (MeshctlException ex)
            {
                await console.Error.WriteLineAsync($"meshctl: {ex.Message}");
                return ex.ExitCode;
            }
        });
        command.Subcommands.Add(secrets);
        return command;
    }

    private static async Task<string> ReadAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new MeshctlException($"{file.FullName}: {ex.Message}", ExitCodes.UsageOrUnreachable);
        }
    }
}
