using MeshDev.Core;

namespace MeshDev.ControlPlane;

/// <summary>The control plane's data folder (<see cref="ControlPlaneOptions.DataDirectory"/>).</summary>
public static class ControlPlaneDataDirectory
{
    /// <summary>Makes the data folder (owner-only, ignored by git) if it is not there yet.</summary>
    public static void EnsureCreated(string dataDirectory)
    {
        if (Directory.Exists(dataDirectory))
        {
            return;
        }

        OwnerOnlyFiles.CreateFolder(dataDirectory);
        // The folder may sit inside a repository (the AppHost puts it under .meshdev/): its keys and state never get
        // committed; applied config is committed by exporting it (meshctl get all --applied -o yaml).
        File.WriteAllText(Path.Combine(dataDirectory, ".gitignore"), "# MeshDev control plane state: private keys and applied config, never committed.\n*\n");
    }
}
