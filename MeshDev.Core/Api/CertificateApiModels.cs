namespace MeshDev.Core.Api;

// The JSON shapes of /api/v1/ca and /api/v1/certificates (camelCase on the wire). Public material only: no private
// key is ever part of them.

public sealed record CaResponse(
    string TrustDomain,
    CaCertificateResponse Root,
    // The certificate that signs workload certificates: the root itself, or a user-supplied intermediate.
    CaCertificateResponse Signer,
    string Source,
    long Signed,
    long Refused,
    CaRefusalsResponse RefusedBy);

public sealed record CaCertificateResponse(string Subject, string SerialNumber, DateTimeOffset NotAfter, string Sha256Fingerprint, string Pem);

public sealed record CaRefusalsResponse(long Unauthenticated, long PermissionDenied, long InvalidRequest);

public sealed record IssuedCertificateResponse(
    string Identity,
    string SerialNumber,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string ProxyId,
    DateTimeOffset IssuedAt,
    long IssuedCount);
