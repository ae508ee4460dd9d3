using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MeshDev.Core.Identity;

namespace MeshDev.ControlPlane.Certificates;

/// <summary>The roots every proxy trusts for its peers, as pushed in each snapshot.</summary>
public interface ITrustBundle
{
    IReadOnlyList<string> RootsPem { get; }
}

public enum SignRefusal
{
    /// <summary>No bootstrap token, or one that this mesh's key did not sign.</summary>
    Unauthenticated,

    /// <summary>The token is good but proves another identity than the CSR asks for.</summary>
    PermissionDenied,

    /// <summary>The request itself cannot be signed (no proxy id, a bad CSR, a bad lifetime).</summary>
    InvalidRequest,
}

public abstract record SignResult
{
    public sealed record Signed(X509Certificate2 Certificate, IReadOnlyList<string> ChainPem, IReadOnlyList<string> TrustBundlePem) : SignResult;

    public sealed record Refused(SignRefusal Reason, string Message) : SignResult;
}

/// <summary>
/// The mesh's certificate authority (Istio's Citadel role). It signs a proxy's CSR only for the identity the proxy's
/// bootstrap token proves, with the configured lifetime or a shorter one the proxy asks for. Every refusal is logged
/// and counted, naming what was asked and what was proven, never the token.
/// </summary>
public sealed partial class CertificateAuthority : ITrustBundle, IDisposable
{
    private readonly CertificateAuthorityOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CertificateAuthority> _logger;
    private readonly WorkloadCertificateIssuer _issuer;

    public CertificateAuthority(CertificateAuthorityOptions options, TimeProvider time, ILogger<CertificateAuthority> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        Authority = LoadAuthority(options, time.GetUtcNow(), logger);
        _issuer = new WorkloadCertificateIssuer(Authority);
        RootsPem = [Authority.RootPem];
        if (options.BootstrapKey is null)
        {
            LogNoBootstrapKey(logger, Core.MeshEnvironment.ControlPlane.BootstrapKey);
        }
    }

    public SigningAuthority Authority { get; }

    public string TrustDomain => _options.TrustDomain;

    public CertificateAuthorityStats Stats { get; } = new();

    public IssuedCertificateLog Issued { get; } = new();

    public IReadOnlyList<string> RootsPem { get; }

    /// <param name="token">The bearer token from the call's authorization metadata, or null.</param>
    public SignResult Sign(string? token, string? csrPem, string? proxyId, long requestedLifetimeSeconds)
    {
        var who = string.IsNullOrWhiteSpace(proxyId) ? "a proxy without a proxy_id" : $"proxy '{proxyId}'";
        var csrValid = WorkloadCertificateRequest.TryRead(csrPem, out var request, out var csrError);
        var asked = request?.Identity.ToString() ?? "an identity it could not state (its CSR is unreadable)";

        if (_options.BootstrapKey is null)
        {
            return Refuse(SignRefusal.Unauthenticated, proxyId,
                $"{who} asked for {asked}, but this control plane has no bootstrap key ({Core.MeshEnvironment.ControlPlane.BootstrapKey}), so it can verify no token");
        }

        if (!BootstrapToken.TryVerify(_options.BootstrapKey, token, out var proven, out var tokenError))
        {
            return Refuse(SignRefusal.Unauthenticated, proxyId, $"{who} asked for {asked}, but {tokenError}; proven: nothing");
        }

        if (string.IsNullOrWhiteSpace(proxyId))
        {
            return Refuse(SignRefusal.InvalidRequest, proxyId, $"proxy_id is empty (token proves {proven}); every proxy names itself");
        }

        if (!csrValid)
        {
            return Refuse(SignRefusal.InvalidRequest, proxyId, $"{who} (token proves {proven}): {csrError}");
        }

        if (request!.Identity != proven)
        {
            return Refuse(SignRefusal.PermissionDenied, proxyId,
                $"{who} asked for {request.Identity}, but its bootstrap token proves {proven}; a proxy gets a certificate for its own identity only");
        }

        if (proven.TrustDomain != _options.TrustDomain)
        {
            return Refuse(SignRefusal.PermissionDenied, proxyId,
                $"{who} asked for {request.Identity}, in trust domain '{proven.TrustDomain}'; this CA signs for trust domain '{_options.TrustDomain}' only");
        }

        if (requestedLifetimeSeconds < 0)
        {
            return Refuse(SignRefusal.InvalidRequest, proxyId,
                $"{who} asked for a lifetime of {requestedLifetimeSeconds} s; give a positive number of seconds, or 0 for the CA's ({_options.Lifetime})");
        }

        var lifetime = LifetimeFor(requestedLifetimeSeconds);
        var now = _time.GetUtcNow();
        var certificate = _issuer.Issue(request.PublicKey, proven, lifetime, now);
        Stats.RecordSigned();
        Issued.Record(proxyId!, certificate, proven.ToString(), now);
        LogSigned(_logger, proven.ToString(), proxyId!, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime());
        return new SignResult.Signed(certificate, [certificate.ExportCertificatePem(), .. Authority.IntermediatesPem], RootsPem);
    }

    /// <summary>0: the CA's lifetime; longer: cut to it; shorter: honoured down to the minimum lifetime.</summary>
    private TimeSpan LifetimeFor(long requestedSeconds)
    {
        if (requestedSeconds == 0 || requestedSeconds >= _options.Lifetime.TotalSeconds)
        {
            return _options.Lifetime;
        }

        var requested = TimeSpan.FromSeconds(requestedSeconds);
        return requested < CertificateAuthorityOptions.MinimumLifetime ? CertificateAuthorityOptions.MinimumLifetime : requested;
    }

    private SignResult.Refused Refuse(SignRefusal reason, string? proxyId, string message)
    {
        Stats.RecordRefused(reason);
        LogRefused(_logger, reason, proxyId ?? "", message);
        return new SignResult.Refused(reason, message);
    }

    private static SigningAuthority LoadAuthority(CertificateAuthorityOptions options, DateTimeOffset now, ILogger logger)
    {
        if (options.CaCertificatePath is { } certificatePath && options.CaKeyPath is { } keyPath)
        {
            var supplied = CaCertificateLoader.Load(certificatePath, keyPath, CaSource.UserSupplied, now);
            LogLoaded(logger, "user-supplied", supplied.Signer.Subject, supplied.Root.Subject, Fingerprint(supplied.Root), certificatePath);
            return supplied;
        }

        var generated = GeneratedRoot.LoadOrCreate(options.DataDirectory, options.TrustDomain, now, out var created);
        LogLoaded(logger, created ? "generated (new)" : "generated (kept from an earlier start)", generated.Signer.Subject, generated.Root.Subject,
            Fingerprint(generated.Root), GeneratedRoot.CertificatePath(options.DataDirectory));
        return generated;
    }

    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));

    public void Dispose() => Authority.Dispose();

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Certificate authority ready: {Source} CA '{Signer}', root '{Root}' (SHA-256 {Fingerprint}), certificate file {CertificatePath}")]
    private static partial void LogLoaded(ILogger logger, string source, string signer, string root, string fingerprint, string certificatePath);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "No bootstrap key is configured ({Key}): the certificate authority will refuse every CSR. The AppHost sets one for its control plane.")]
    private static partial void LogNoBootstrapKey(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed a certificate for {Identity} (proxy {ProxyId}), serial {SerialNumber}, valid until {NotAfter:u}")]
    private static partial void LogSigned(ILogger logger, string identity, string proxyId, string serialNumber, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a CSR ({Reason}) from proxy '{ProxyId}': {Message}")]
    private static partial void LogRefused(ILogger logger, SignRefusal reason, string proxyId, string message);
}
