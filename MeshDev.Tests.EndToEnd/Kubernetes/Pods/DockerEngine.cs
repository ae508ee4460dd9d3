using Docker.DotNet;

namespace MeshDev.Tests.Kubernetes.Pods;

/// <summary>The Docker engine the container tests run on (DOCKER_HOST, else the local socket).</summary>
public static class DockerEngine
{
    public static DockerClient Client()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return new DockerClientConfiguration(new Uri(string.IsNullOrEmpty(host) ? "unix:///var/run/docker.sock" : host)).CreateClient();
    }

    /// <summary>
    /// Fails, never skips, when no engine answers or an image is missing: test.sh starts the engine and builds the
    /// images before the tests, so their absence is a broken set-up that must show.
    /// </summary>
    public static async Task RequireAsync(IEnumerable<string> images, CancellationToken cancellation)
    {
        // Testcontainers' reaper image cannot be pulled where no registry is reachable; the tests remove what they start.
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        using var docker = Client();
        try
        {
            await docker.System.PingAsync(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Assert.Fail($"No Docker engine answers ({e.Message}). test.sh starts one (deploy/images/start-docker.sh) and builds the images (deploy/images/build.sh) before the tests.");
        }
        foreach (var image in images)
        {
            try
            {
                await docker.Images.InspectImageAsync(image, cancellation);
            }
            catch (DockerImageNotFoundException)
            {
                Assert.Fail($"Image {image} is not on the Docker engine; deploy/images/build.sh builds it (test.sh runs it).");
            }
        }
    }
}
