using System.Security.Cryptography;
using System.Text;
using MeshDev.Core;

namespace MeshDev.ControlPlane.Api.Access;

/// <summary>
/// The HTTP API's credential: configured (<see cref="MeshEnvironment.ControlPlane.ApiToken"/>, as the AppHost and a
/// Kubernetes Secret set it), or else made at start and written owner-only to <c>&lt;data folder&gt;/api-token</c>, so a
/// control plane run bare never leaves its writes open and its user can still find the credential. The value is
/// never logged, and is compared through SHA-256 digests in constant time, so neither its content nor its length
/// leaks through timing.
/// </summary>
public sealed partial class ApiToken
{
    public const string FileName = "api-token";

    /// <summary>The dashboard's cookie: set by /login, HttpOnly and SameSite=Strict.</summary>
    public const string SessionCookieName = "meshdev-dashboard";

    // The cookie carries a value derived from the token rather than the token itself: the browser holds a
    // credential for this dashboard, not the one meshctl and the AppHost use.
    private static readonly byte[] SessionPurpose = "meshdev-dashboard-session-v1"u8.ToArray();

    private readonly byte[] _tokenDigest;
    private readonly byte[] _sessionDigest;

    private ApiToken(string token, string? file)
    {
        var bytes = Encoding.UTF8.GetBytes(token);
        _tokenDigest = SHA256.HashData(bytes);
        SessionValue = Base64Url(HMACSHA256.HashData(bytes, SessionPurpose));
        _sessionDigest = SHA256.HashData(Encoding.UTF8.GetBytes(SessionValue));
        GeneratedFile = file;
    }

    /// <summary>Where the token was written when none was configured; null when configuration gave it.</summary>
    public string? GeneratedFile { get; }

    /// <summary>The value of the dashboard's session cookie.</summary>
    public string SessionValue { get; }

    public bool Matches(string? candidate) => Equal(candidate, _tokenDigest);

    public bool MatchesSession(string? candidate) => Equal(candidate, _sessionDigest);

    public static ApiToken Load(IConfiguration configuration, string dataDirectory, ILogger<ApiToken> logger)
    {
        if (configuration[MeshEnvironment.ControlPlane.ApiToken] is { } configured && configured.Trim() is { Length: > 0 } token)
        {
            if (token.Length < MinimumLength)
            {
                // The value itself is a secret: only its length is named.
                throw new InvalidOperationException(
                    $"Configuration '{MeshEnvironment.ControlPlane.ApiToken}' has {token.Length} characters; it needs at least {MinimumLength}.");
            }

            LogConfigured(logger, MeshEnvironment.ControlPlane.ApiToken);
            return new ApiToken(token, file: null);
        }

        var generated = Base64Url(RandomNumberGenerator.GetBytes(32));
        var file = Path.Combine(dataDirectory, FileName);
        OwnerOnlyFiles.CreateFolder(dataDirectory);
        OwnerOnlyFiles.WriteReplacing(file, generated);
        LogGenerated(logger, MeshEnvironment.ControlPlane.ApiToken, file);
        return new ApiToken(generated, file);
    }

    public const int MinimumLength = 16;

    private static bool Equal(string? candidate, byte[] expectedDigest) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), expectedDigest);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "The HTTP API's writes and sensitive reads take the token configured in '{Key}'")]
    private static partial void LogConfigured(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "No '{Key}' configured: made an API token for this run and wrote it, owner-only, to {File} (meshctl and the dashboard's /login need it)")]
    private static partial void LogGenerated(ILogger logger, string key, string file);
}
