namespace MeshDev.Hosting.Kubernetes;

internal static class WorkloadImages
{
    /// <summary>samples/Bookinfo/Bookinfo.Reviews/Bookinfo.Reviews.csproj: bookinfo-reviews.</summary>
    public static string FromProjectPath(string projectPath) =>
        Path.GetFileNameWithoutExtension(projectPath.Replace('\\', '/')).ToLowerInvariant().Replace('.', '-');
}
