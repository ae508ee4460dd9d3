namespace MeshDev.Cli.Manifests;

/// <summary>One YAML file given with -f: the name the control plane reports problems under, and its text.</summary>
public sealed record ManifestFile(string Source, string Content);
