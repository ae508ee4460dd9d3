using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace MeshDev.Tests.EndToEnd.Drills;

/// <summary>
/// Requests the Bookinfo product page through the gateway at a fixed rate, whatever the answers take (each request
/// starts on its own tick, so a slow or failed one never delays the next), and records every one. A request counts
/// as good only when it answers 200 with a full page: reviews named, no upstream's error text.
/// </summary>
public sealed class SteadyTraffic(HttpClient http, double requestsPerSecond)
{
    private readonly List<Task<Outcome>> _requests = [];
    private readonly Stopwatch _clock = new();
    private CancellationTokenSource? _stop;
    private Task? _ticker;

    public sealed record Outcome(TimeSpan StartedAt, TimeSpan Took, string? Problem);

    public void Start()
    {
        _stop = new CancellationTokenSource();
        _clock.Start();
        _ticker = TickAsync(_stop.Token);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Stops issuing requests and waits for the ones in flight.</summary>
    public async Task<TrafficReport> StopAsync()
    {
        await _stop!.CancelAsync();
        await _ticker!;
        Task<Outcome>[] requests;
        lock (_requests)
        {
            requests = [.. _requests];
        }
        return new TrafficReport(await Task.WhenAll(requests));
    }

    private async Task TickAsync(CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(1 / requestsPerSecond);
        var next = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var startedAt = _clock.Elapsed;
            lock (_requests)
            {
                _requests.Add(Task.Run(() => RequestAsync(startedAt)));
            }
            next += interval;
            var wait = next - _clock.Elapsed;
            try
            {
                // The pacing of a fixed request rate, not a wait for a condition.
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<Outcome> RequestAsync(TimeSpan startedAt)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(BookinfoAppFixture.Gateway, "/productpage"));
            var body = await response.Content.ReadAsStringAsync();
            return new Outcome(startedAt, _clock.Elapsed - startedAt, PageProblem(response.StatusCode, body));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Outcome(startedAt, _clock.Elapsed - startedAt, e.Message);
        }
    }

    /// <summary>Null for a full Bookinfo page; else what is wrong with it.</summary>
    public static string? PageProblem(HttpStatusCode status, string body)
    {
        if (status != HttpStatusCode.OK)
        {
            return $"HTTP {(int)status}";
        }
        if (BookinfoPage.TryParse(body) is null)
        {
            var heading = System.Text.RegularExpressions.Regex.Match(body, "<h[1-6][^>]*>([^<]*)</h").Groups[1].Value;
            return $"no reviews on the page (first heading: \"{heading}\")";
        }
        foreach (var error in new[] { "Error fetching product", "currently unavailable" })
        {
            if (body.Contains(error, StringComparison.Ordinal))
            {
                return $"the page says \"{error}\"";
            }
        }
        return null;
    }
}

/// <summary>Every request of a drill: how many, how many failed, and the span from the first failure to the last.</summary>
public sealed class TrafficReport(IReadOnlyList<SteadyTraffic.Outcome> outcomes)
{
    public int Requests => outcomes.Count;

    public IReadOnlyList<SteadyTraffic.Outcome> Failures { get; } = [.. outcomes.Where(o => o.Problem is not null)];

    /// <summary>From the start of the first failed request to the end of the last; zero without failures.</summary>
    public TimeSpan FailureWindow => Failures.Count == 0
        ? TimeSpan.Zero
        : Failures.Max(f => f.StartedAt + f.Took) - Failures.Min(f => f.StartedAt);

    public TimeSpan SlowestGood => outcomes.Where(o => o.Problem is null).Select(o => o.Took).DefaultIfEmpty().Max();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} requests, {Failures.Count} failed, failure window {FailureWindow.TotalMilliseconds:F0} ms, slowest good page {SlowestGood.TotalMilliseconds:F0} ms")
        + (Failures.Count == 0 ? "" : "; failures: " + string.Join("; ", Failures.Take(5).Select(f =>
            string.Create(CultureInfo.InvariantCulture, $"at {f.StartedAt.TotalSeconds:F1} s: {f.Problem}"))));
}
