using System.Text;
using System.Text.Json;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// Config a test applies through the control plane's API, each apply waited on until every proxy runs it, and all of
/// it deleted again afterwards so the next test starts from Bookinfo's own config.
/// </summary>
public sealed class MeshConfigChanges(BookinfoAppFixture mesh)
{
    private readonly List<(string Kind, string Namespace, string Name)> _applied = [];

    /// <summary>Applies Istio's Bookinfo traffic task files from samples/Bookinfo/networking as they are.</summary>
    public Task ApplyFilesAsync(params string[] files) => ApplySampleFilesAsync("networking", files);

    /// <summary>Applies Istio's Bookinfo security task files from samples/Bookinfo/security as they are.</summary>
    public Task ApplySecurityFilesAsync(params string[] files) => ApplySampleFilesAsync("security", files);

    private async Task ApplySampleFilesAsync(string folder, string[] files)
    {
        var directory = Path.Combine(Repository.Root(), "samples", "Bookinfo", folder);
        foreach (var file in files)
        {
            await ApplyYamlAsync(file, await File.ReadAllTextAsync(Path.Combine(directory, file)));
        }
    }

    public async Task ApplyYamlAsync(string source, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        using var response = await mesh.Http.PostAsync(new Uri(BookinfoAppFixture.ControlPlane, $"/api/v1/config?source={source}"), content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"applying {source} answered {(int)response.StatusCode}: {body}");
        var result = JsonDocument.Parse(body).RootElement;
        foreach (var applied in result.GetProperty("applied").EnumerateArray())
        {
            _applied.Add((applied.GetProperty("kind").GetString()!, applied.GetProperty("namespace").GetString()!, applied.GetProperty("name").GetString()!));
        }
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20), result.GetProperty("configVersion").GetInt64());
    }

    /// <summary>Deletes what was applied (routes before the DestinationRules whose subsets they name).</summary>
    public async Task RevertAsync()
    {
        long configVersion = 0;
        foreach (var (kind, ns, name) in _applied.Distinct().OrderBy(r => r.Kind == "DestinationRule"))
        {
            using var response = await mesh.Http.DeleteAsync(new Uri(BookinfoAppFixture.ControlPlane, $"/api/v1/config/{kind}/{ns}/{name}"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"deleting {kind} {ns}/{name} answered {(int)response.StatusCode}: {body}");
            configVersion = JsonDocument.Parse(body).RootElement.GetProperty("configVersion").GetInt64();
        }
        _applied.Clear();
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20), configVersion);
    }
}
