namespace MeshDev.Core;

/// <summary>
/// Files that hold secrets (API tokens, keys) and the folders they sit in: owner-only on Unix from the moment they
/// exist, so no other user can read them, not even briefly between a create and a chmod.
/// </summary>
public static class OwnerOnlyFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Makes the folder (owner-only) when it is not there; one that exists is left as it is.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, FolderMode);
        }
    }

    /// <summary>
    /// Writes the content to a new owner-only file beside <paramref name="file"/> and renames it into place: a reader
    /// sees the old content or the new, never a half-written file.
    /// </summary>
    public static void WriteReplacing(string file, string content)
    {
        var staging = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, $".{Path.GetFileName(file)}-{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using (var stream = new FileStream(staging, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
            }

            File.Move(staging, file, overwrite: true);
        }
        finally
        {
            File.Delete(staging);
        }
    }
}
