using System.Globalization;

namespace Bookinfo.Reviews;

// One binary runs as reviews-v1, v2 and v3, told apart by configuration like Istio's reviews images.
// SERVICE_VERSION alone gives Istio's behaviour for that version; the other keys override it.
public sealed record ReviewsSettings(
    string ServiceVersion,
    bool RatingsEnabled,
    string StarColor,
    TimeSpan RatingsTimeout,
    string InstanceName,
    string ClusterName,
    string RatingsProtocol = ReviewsSettings.HttpRatings)
{
    /// <summary>Istio's call: GET /ratings/{id}, so Istio's policies that allow ratings for GET apply as written.</summary>
    public const string HttpRatings = "http";
    /// <summary>The same lookup as a gRPC call (Ratings/GetRatings).</summary>
    public const string GrpcRatings = "grpc";
    public const string RatingsProtocolKey = "RATINGS_PROTOCOL";

    public const string ServiceVersionKey = "SERVICE_VERSION";
    public const string EnableRatingsKey = "ENABLE_RATINGS";
    public const string StarColorKey = "STAR_COLOR";
    public const string RatingsTimeoutKey = "RATINGS_TIMEOUT";
    public const string InstanceNameKey = "INSTANCE_NAME";
    public const string ClusterNameKey = "CLUSTER_NAME";

    private static readonly string[] s_versions = ["v1", "v2", "v3"];
    private static readonly string[] s_starColors = ["black", "red"];
    private static readonly string[] s_ratingsProtocols = [HttpRatings, GrpcRatings];

    public static ReviewsSettings FromConfiguration(IConfiguration configuration)
    {
        var version = OneOf(configuration, ServiceVersionKey, s_versions, defaultValue: "v1");

        // Istio: v1 shows no stars, v2 black stars and waits up to 10 s for ratings, v3 red stars and 2.5 s.
        var ratingsEnabled = Boolean(configuration, EnableRatingsKey, defaultValue: version != "v1");
        var starColor = OneOf(configuration, StarColorKey, s_starColors, defaultValue: version == "v3" ? "red" : "black");
        var timeoutMs = PositiveMilliseconds(configuration, RatingsTimeoutKey, defaultValue: version == "v3" ? 2500 : 10000);

        var instanceName = configuration[InstanceNameKey] is { Length: > 0 } name ? name : $"reviews-{version}";
        // Istio prints the literal "null" when the pod has no cluster name; clients of reviews expect that text.
        var clusterName = configuration[ClusterNameKey] is { Length: > 0 } cluster ? cluster : "null";

        var ratingsProtocol = OneOf(configuration, RatingsProtocolKey, s_ratingsProtocols, defaultValue: HttpRatings);

        return new ReviewsSettings(version, ratingsEnabled, starColor, TimeSpan.FromMilliseconds(timeoutMs), instanceName, clusterName, ratingsProtocol);
    }

    private static string OneOf(IConfiguration configuration, string key, string[] allowed, string defaultValue)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        var normalized = value.Trim().ToLowerInvariant();
        return allowed.Contains(normalized)
            ? normalized
            : throw new InvalidOperationException(
                $"Configuration value {key}='{value}' is not valid: expected one of {string.Join(", ", allowed)}.");
    }

    private static bool Boolean(IConfiguration configuration, string key, bool defaultValue)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return bool.TryParse(value.Trim(), out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Configuration value {key}='{value}' is not valid: expected true or false.");
    }

    private static int PositiveMilliseconds(IConfiguration configuration, string key, int defaultValue)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new InvalidOperationException(
                $"Configuration value {key}='{value}' is not valid: expected a whole number of milliseconds greater than 0.");
    }
}
