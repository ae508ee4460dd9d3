namespace MeshDev.Proxy.Routing;

/// <summary>gRPC status codes by the names Istio's fault abort and Envoy's retry conditions use.</summary>
public static class GrpcStatusCodes
{
    public const int Cancelled = 1;
    public const int DeadlineExceeded = 4;
    public const int ResourceExhausted = 8;
    public const int Internal = 13;
    public const int Unavailable = 14;

    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>Accepts a name in any case ("UNAVAILABLE", "unavailable") or the number itself ("14").</summary>
    public static bool TryParse(string value, out int code)
    {
        var index = Array.FindIndex(Names, n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            code = index;
            return true;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out code)
            && code < Names.Length;
    }
}
