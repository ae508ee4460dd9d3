using System.CommandLine;

namespace MeshDev.Cli.Commands;

public static class FileOptions
{
    public static Option<string[]> Create(string verb) => new("--filename", "-f")
    {
        Description = $"A YAML file, a folder (its *.yaml and *.yml) or - for stdin, to {verb}; repeatable",
        HelpName = "file|dir|-",
        Required = true,
        Arity = ArgumentArity.OneOrMore,
    };
}
