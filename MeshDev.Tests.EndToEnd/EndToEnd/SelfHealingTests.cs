using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using MeshDev.Tests.ControlPlane;
using Xunit.Abstractions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>
/// The data plane heals itself under the real AppHost: a killed proxy is restarted and counted, a proxy stopped on
/// purpose stays stopped, and a dead instance (proxy or app) leaves load balancing while it is down.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SelfHealingTests(BookinfoAppFixture mesh, ITestOutputHelper output) : IClassFixture<BookinfoAppFixture>
{
    [Fact]
    public async Task A_sidecar_killed_with_SIGKILL_is_restarted_counted_in_Aspire_and_the_control_plane_and_serves_again()
    {
        const string sidecar = "reviews-v2-sidecar";
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        var pid = mesh.ProcessIdOf(sidecar) ?? throw new InvalidOperationException($"{sidecar} has no process id");
        var restartsBefore = (await mesh.GetProxyAsync(sidecar)).GetProperty("restarts").GetInt32();

        var killed = Stopwatch.StartNew();
        Process.GetProcessById(pid).Kill();

        var newPid = await Eventually.ValueAsync(() => Task.FromResult(mesh.ProcessIdOf(sidecar)),
            p => p is { } id && id != pid && mesh.ResourceState(sidecar) == KnownResourceStates.Running, TimeSpan.FromSeconds(30));
        output.WriteLine($"{sidecar} running again as pid {newPid} {killed.ElapsedMilliseconds} ms after SIGKILL of pid {pid}");
        await Eventually.ValueAsync(() => Task.FromResult(mesh.ResourceProperty(sidecar, "mesh.restarts")), r => r == "1", TimeSpan.FromSeconds(10));
        var lastExit = mesh.ResourceProperty(sidecar, "mesh.lastExit");
        output.WriteLine($"mesh.lastExit: {lastExit}");
        Assert.Contains("exit", lastExit ?? "", StringComparison.Ordinal);

        // Its old entry may have outlived the grace period before the new process connected; the count survives that.
        var proxy = await Eventually.ValueAsync(() => mesh.FindProxyAsync(sidecar),
            p => p is { } found && found.GetProperty("connected").GetBoolean() && found.GetProperty("restarts").GetInt32() == restartsBefore + 1,
            TimeSpan.FromSeconds(30));
        Assert.False(proxy!.Value.GetProperty("processGone").GetBoolean());
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(30));

        // Pages routed to the restarted instance work again: the default round robin reaches reviews-v2 among the three.
        var served = await Eventually.ValueAsync(() => PagesServedByAsync(6), versions => versions.Contains("reviews-v2"), TimeSpan.FromSeconds(30));
        output.WriteLine($"pages after the restart came from {string.Join(", ", served)}; healed {killed.ElapsedMilliseconds} ms after the kill");
    }

    [Fact]
    public async Task A_sidecar_stopped_from_the_Aspire_dashboard_stays_stopped()
    {
        const string sidecar = "reviews-v3-sidecar";
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        var stopped = Stopwatch.StartNew();
        await mesh.ExecuteAsync(sidecar, KnownResourceCommands.StopCommand);
        await Eventually.ValueAsync(() => Task.FromResult(mesh.ResourceState(sidecar)),
            s => s is not null && KnownResourceStates.TerminalStates.Contains(s), TimeSpan.FromSeconds(30));

        // Known gone well inside the 5 s grace period the fixture sets, so it left load balancing without waiting it out.
        var gone = await Eventually.ValueAsync(() => mesh.FindProxyAsync(sidecar),
            p => p?.GetProperty("processGone").GetBoolean() == true, TimeSpan.FromSeconds(4));
        Assert.False(gone!.Value.GetProperty("connected").GetBoolean());
        output.WriteLine($"{sidecar} out of load balancing {stopped.ElapsedMilliseconds} ms after Stop");

        try
        {
            var pages = await PagesServedByAsync(20);
            Assert.DoesNotContain("reviews-v3", pages);

            // Twenty pages take far longer than the first restart delay (0.5 s): a restart would have happened by now.
            Assert.Contains(mesh.ResourceState(sidecar), KnownResourceStates.TerminalStates);
            Assert.Null(mesh.ResourceProperty(sidecar, "mesh.restarts"));
        }
        finally
        {
            await mesh.ExecuteAsync(sidecar, KnownResourceCommands.StartCommand);
        }
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        await Eventually.ValueAsync(() => PagesServedByAsync(6), versions => versions.Contains("reviews-v3"), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task When_an_app_dies_its_sidecar_reports_it_not_ready_and_pages_keep_working_through_the_other_versions()
    {
        const string app = "reviews-v2";
        const string sidecar = "reviews-v2-sidecar";
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(60));
        var pid = mesh.ProcessIdOf(app) ?? throw new InvalidOperationException($"{app} has no process id");

        var killed = Stopwatch.StartNew();
        // A project may run under a launcher (dotnet run): the whole tree goes, as when the app crashes.
        Process.GetProcessById(pid).Kill(entireProcessTree: true);

        try
        {
            // The sidecar's app probe (every second) fails; the control plane hears it and takes the instance out.
            await Eventually.ValueAsync(() => mesh.FindProxyAsync(sidecar), p => p?.GetProperty("healthy").GetBoolean() == false, TimeSpan.FromSeconds(10));
            var notReadyAfter = killed.Elapsed;
            await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
            output.WriteLine($"{app} marked not healthy {notReadyAfter.TotalMilliseconds:F0} ms after its process was killed");
            Assert.True(notReadyAfter < TimeSpan.FromSeconds(5), $"it took {notReadyAfter}");

            var pages = await PagesServedByAsync(20);
            Assert.DoesNotContain(app, pages);
            // The sidecar stays up (it is the app's address in the mesh), and Aspire leaves the app exited: apps are not restarted.
            Assert.Equal(KnownResourceStates.Running, mesh.ResourceState(sidecar));
            Assert.Contains(mesh.ResourceState(app), KnownResourceStates.TerminalStates);
        }
        finally
        {
            await mesh.ExecuteAsync(app, KnownResourceCommands.StartCommand);
        }
        await Eventually.ValueAsync(() => mesh.FindProxyAsync(sidecar), p => p?.GetProperty("healthy").GetBoolean() == true, TimeSpan.FromSeconds(60));
        await mesh.WaitForMeshInSyncAsync(TimeSpan.FromSeconds(20));
        await Eventually.ValueAsync(() => PagesServedByAsync(6), versions => versions.Contains(app), TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Every page must answer 200; returns which reviews instance served each page that names one. A page whose
    /// reviews call outlived productpage's own timeout (a cold app on a loaded machine) names none and is skipped, but
    /// most pages must name one.
    /// </summary>
    private async Task<List<string>> PagesServedByAsync(int count)
    {
        var versions = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (BookinfoPage.TryParse(await mesh.GetPageAsync()) is { } page)
            {
                versions.Add(page.ServedBy);
            }
        }
        Assert.True(versions.Count > count / 2, $"only {versions.Count} of {count} pages showed reviews");
        return versions;
    }
}
