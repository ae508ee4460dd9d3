using System.Collections.Concurrent;
using MeshDev.ControlPlane.Config;
using MeshDev.ControlPlane.Push.Compiling.Security;
using MeshDev.ControlPlane.Registry;
using MeshDev.Core.Config.Security;

namespace MeshDev.ControlPlane.Push.Delivery;

/// <summary>What the control plane holds for one jwksUri: the key set, or why it could not be had.</summary>
public sealed record JwksFetch(string? Jwks, string? Error, DateTimeOffset At);

/// <summary>
/// Fetches the JSON Web Key Sets that RequestAuthentications name by jwksUri, as istiod does, so proxies get the keys
/// inline and never reach out themselves. The compiler never calls it: <see cref="SnapshotInputsReader"/> reads the
/// key sets held (<see cref="KeySetsFor"/>) and passes them in with the config. Nothing waits: an unknown URI is
/// fetched in the background and a <see cref="MeshChangeKind.CompileInput"/> change is published when the outcome is
/// known, so a fresh push carries it. Key sets are refreshed every <see cref="RefreshInterval"/>; a failed fetch is
/// retried after <see cref="RetryInterval"/>.
/// </summary>
public sealed partial class JwksCache(TimeProvider time, MeshChangeSignal changes, ILogger<JwksCache> logger) : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(20);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly ConcurrentDictionary<string, JwksFetch> _fetched = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    /// <summary>The last outcome for <paramref name="uri"/>, or null while its first fetch runs; starts a fetch when due.</summary>
    public JwksFetch? Get(string uri, TimeSpan? timeout)
    {
        _fetched.TryGetValue(uri, out var known);
        var due = known is null
            || time.GetUtcNow() - known.At >= (known.Error is null ? RefreshInterval : RetryInterval);
        if (due)
        {
            _inFlight.GetOrAdd(uri, u => Task.Run(() => FetchAsync(u, timeout ?? DefaultTimeout)));
        }

        return known;
    }

    /// <summary>
    /// The key sets held for the jwksUris that <paramref name="proxy"/>'s snapshot carries, by URI; starts the fetches
    /// that are due, so a URI without keys yet is left out now and published when fetched.
    /// </summary>
    public IReadOnlyDictionary<string, string> KeySetsFor(Workload proxy, MeshConfig config)
    {
        var keySets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (uri, timeout) in JwtRuleCompiler.KeySetUris(proxy, config))
        {
            if (Get(uri, timeout)?.Jwks is { } jwks)
            {
                keySets[uri] = jwks;
            }
        }

        return keySets;
    }

    /// <summary>Fetches <paramref name="uri"/> now and waits for the outcome (used at start and by tests).</summary>
    public async Task<JwksFetch> FetchNowAsync(string uri, TimeSpan? timeout = null)
    {
        await FetchAsync(uri, timeout ?? DefaultTimeout);
        return _fetched[uri];
    }

    private async Task FetchAsync(string uri, TimeSpan timeout)
    {
        JwksFetch outcome;
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            using var response = await _http.GetAsync(uri, cancellation.Token);
            var body = await response.Content.ReadAsStringAsync(cancellation.Token);
            outcome = !response.IsSuccessStatusCode
                ? new JwksFetch(null, $"GET {uri} answered HTTP {(int)response.StatusCode}", time.GetUtcNow())
                : JwksDocument.Problem(body) is { } problem
                    ? new JwksFetch(null, $"GET {uri} returned no JSON Web Key Set: {problem}", time.GetUtcNow())
                    : new JwksFetch(body, null, time.GetUtcNow());
        }
        catch (OperationCanceledException)
        {
            outcome = new JwksFetch(null, $"GET {uri} took longer than {timeout.TotalSeconds:0.###}s", time.GetUtcNow());
        }
        catch (HttpRequestException e)
        {
            outcome = new JwksFetch(null, $"GET {uri} failed: {e.Message}", time.GetUtcNow());
        }
        finally
        {
            _inFlight.TryRemove(uri, out _);
        }

        _fetched.TryGetValue(uri, out var previous);
        _fetched[uri] = outcome;
        if (outcome.Error is not null && previous?.Error != outcome.Error)
        {
            LogFetchFailed(uri, outcome.Error);
        }

        if (previous?.Jwks != outcome.Jwks || previous?.Error != outcome.Error)
        {
            changes.Publish(MeshChangeKind.CompileInput);
        }
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch the JSON Web Key Set at {Uri}: {Reason}. Tokens of its issuer fail verification until it can be fetched.")]
    private partial void LogFetchFailed(string uri, string reason);
}
