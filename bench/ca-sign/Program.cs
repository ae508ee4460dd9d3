using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.ControlPlane.Certificates;
using MeshDev.Core.Discovery;
using MeshDev.Core.Identity;
using Microsoft.Extensions.Logging.Abstractions;

// Measures CSRs signed per second by a running control plane over gRPC, against two baselines in the same run:
//   refused     the same SignCertificate round trip with a token of another key: the CA reads and verifies the CSR,
//               checks the token and refuses (Unauthenticated) without signing: gRPC plus everything but the signature
//   in-process  the CA's own Sign() on the same CSRs in this process, with no gRPC at all
// Rounds interleave the three in a rotating order. Usage (see bench/ca-sign.sh):
//   CaSignBench <grpc address> <out dir> <rounds> <seconds per run> <concurrency>; BENCH_BOOTSTRAP_KEY holds the key.

var address = new Uri(args[0]);
var outDir = args[1];
var rounds = int.Parse(args[2], CultureInfo.InvariantCulture);
var seconds = double.Parse(args[3], CultureInfo.InvariantCulture);
var concurrency = int.Parse(args[4], CultureInfo.InvariantCulture);
var bootstrapKey = Environment.GetEnvironmentVariable("BENCH_BOOTSTRAP_KEY") ?? throw new InvalidOperationException("BENCH_BOOTSTRAP_KEY is not set");

var identity = SpiffeId.Parse("spiffe://cluster.local/ns/default/sa/bench");
var token = BootstrapToken.Mint(bootstrapKey, identity);
var wrongToken = BootstrapToken.Mint("not-this-mesh-key-0123456789abcdef", identity);
// A pool of proxies' CSRs, made up front so that key generation is not measured.
var csrs = Enumerable.Range(0, 64).Select(_ =>
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
    var san = new SubjectAlternativeNameBuilder();
    san.AddUri(identity.ToUri());
    request.CertificateExtensions.Add(san.Build(critical: true));
    return request.CreateSigningRequestPem();
}).ToArray();

using var channel = GrpcChannel.ForAddress(address);
var client = new MeshCertificates.MeshCertificatesClient(channel);

// The in-process CA: a root of its own in a scratch folder, the same code the control plane runs.
var scratch = Directory.CreateTempSubdirectory("meshdev-ca-bench-");
using var inProcess = new CertificateAuthority(
    new CertificateAuthorityOptions { DataDirectory = scratch.FullName, BootstrapKey = bootstrapKey }, TimeProvider.System, NullLogger<CertificateAuthority>.Instance);

var modes = new Dictionary<string, Func<int, Task>>
{
    ["sign"] = async i =>
    {
        var response = await client.SignCertificateAsync(Request(i), Bearer(token));
        if (response.CertificateChainPem.Count == 0)
        {
            throw new InvalidOperationException("A signed response carried no certificate.");
        }
    },
    ["refused"] = async i =>
    {
        try
        {
            await client.SignCertificateAsync(Request(i), Bearer(wrongToken));
            throw new InvalidOperationException("A CSR with another mesh's token was signed.");
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unauthenticated)
        {
        }
    },
    ["in-process"] = i =>
    {
        var result = inProcess.Sign(token, csrs[i % csrs.Length], "bench-proxy", 0);
        (result as SignResult.Signed ?? throw new InvalidOperationException($"In-process signing refused: {result}")).Certificate.Dispose();
        return Task.CompletedTask;
    },
};

SignCertificateRequest Request(int i) => new() { CsrPem = csrs[i % csrs.Length], ProxyId = $"bench-{i % csrs.Length}" };
static Metadata Bearer(string value) => new() { { "authorization", $"Bearer {value}" } };

// Warm-up: JIT, the HTTP/2 connection, the CA's key handles.
foreach (var (name, call) in modes)
{
    await RunAsync(name, call, TimeSpan.FromSeconds(Math.Min(2, seconds)));
}

var results = new List<RunResult>();
var order = modes.Keys.ToList();
for (var round = 1; round <= rounds; round++)
{
    foreach (var name in order)
    {
        var result = await RunAsync(name, modes[name], TimeSpan.FromSeconds(seconds)) with { Round = round };
        results.Add(result);
        Console.Error.WriteLine($"round {round} {name,-10} {result.PerSecond,10:F0} /s  p50 {result.P50Ms:F3} ms  p99 {result.P99Ms:F3} ms  errors {result.Errors}");
    }
    order.Add(order[0]);
    order.RemoveAt(0);
}

await File.WriteAllLinesAsync(Path.Combine(outDir, "runs.jsonl"), results.Select(r => JsonSerializer.Serialize(r)));
var summary = Summarize(results, rounds, seconds, concurrency);
await File.WriteAllTextAsync(Path.Combine(outDir, "summary.md"), summary);
Console.WriteLine(summary);
scratch.Delete(recursive: true);
return results.Any(r => r.Errors > 0) ? 1 : 0;

async Task<RunResult> RunAsync(string name, Func<int, Task> call, TimeSpan duration)
{
    var latencies = new List<double>[concurrency];
    var errors = 0;
    var counter = 0;
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = new List<double>(1 << 14);
        while (stopwatch.Elapsed < duration)
        {
            var i = Interlocked.Increment(ref counter);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await call(i);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception ex)
            {
                if (Interlocked.Increment(ref errors) <= 3)
                {
                    Console.Error.WriteLine($"{name}: {ex.Message}");
                }
            }
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = stopwatch.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    return new RunResult(0, name, all.Length, errors, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static string Summarize(List<RunResult> results, int rounds, double seconds, int concurrency)
{
    static string Spread(IEnumerable<double> values, string format)
    {
        var sorted = values.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return $"{median.ToString(format, CultureInfo.InvariantCulture)} ({sorted[0].ToString(format, CultureInfo.InvariantCulture)}–{sorted[^1].ToString(format, CultureInfo.InvariantCulture)})";
    }

    var text = new StringBuilder();
    text.AppendLine($"Rounds: {rounds}, interleaved (order rotates each round); {seconds:0.#} s per run, {concurrency} calls in flight, one HTTP/2 connection.");
    text.AppendLine("Figures: median (min–max) over rounds; ratios are per round, paired with that round's baseline.");
    text.AppendLine();
    text.AppendLine("| run | calls/s | p50 (ms) | p99 (ms) | errors |");
    text.AppendLine("| --- | --- | --- | --- | --- |");
    var labels = new Dictionary<string, string>
    {
        ["sign"] = "sign over gRPC (the subject)",
        ["refused"] = "refused over gRPC (baseline: same call, token of another key)",
        ["in-process"] = "sign in-process (baseline: CertificateAuthority.Sign, no gRPC)",
    };
    foreach (var (mode, label) in labels)
    {
        var runs = results.Where(r => r.Mode == mode).ToList();
        text.AppendLine($"| {label} | {Spread(runs.Select(r => r.PerSecond), "N0")} | {Spread(runs.Select(r => r.P50Ms), "F3")} | {Spread(runs.Select(r => r.P99Ms), "F3")} | {runs.Sum(r => r.Errors)} |");
    }

    double Ratio(int round, string a, string b) =>
        results.Single(r => r.Round == round && r.Mode == a).PerSecond / results.Single(r => r.Round == round && r.Mode == b).PerSecond;
    var roundNumbers = Enumerable.Range(1, rounds).ToList();
    text.AppendLine();
    text.AppendLine("| ratio (calls/s) | median (min–max) |");
    text.AppendLine("| --- | --- |");
    text.AppendLine($"| sign over gRPC ÷ refused over gRPC | {Spread(roundNumbers.Select(r => Ratio(r, "sign", "refused")), "F2")}× |");
    text.AppendLine($"| sign over gRPC ÷ sign in-process | {Spread(roundNumbers.Select(r => Ratio(r, "sign", "in-process")), "F2")}× |");
    return text.ToString();
}

internal sealed record RunResult(int Round, string Mode, int Calls, int Errors, double PerSecond, double P50Ms, double P99Ms);
