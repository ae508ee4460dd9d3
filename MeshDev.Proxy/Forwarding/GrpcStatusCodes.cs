namespace MeshDev.Proxy.Forwarding;

/// <summary>gRPC status codes by the names Istio's fault abort and Envoy's retry conditions use.</summary>
public static class GrpcStatusCodes
{
    public const int Ok = 0;
    public const int Cancelled = 1;
    public const int DeadlineExceeded = 4;
    public const int ResourceExhausted = 8;
    public const int Internal = 13;
    public const int Unavailable = 14;

    /// <summary>The highest code gRPC defines (UNAUTHENTICATED).</summary>
    public const int Max = 16;

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

    /// <summary>
    /// The HTTP status Envoy's router charges for a gRPC status when it judges a gRPC answer as an HTTP one (outlier
    /// detection), after Google's API error model: UNAVAILABLE is 503, DEADLINE_EXCEEDED 504, UNIMPLEMENTED 501,
    /// INTERNAL, UNKNOWN and DATA_LOSS 500, RESOURCE_EXHAUSTED 429. Codes gRPC does not define are 500.
    /// </summary>
    public static int ToHttpStatus(int grpcStatus) => grpcStatus switch
    {
        0 => 200,
        1 => 499,  // CANCELLED: client closed request
        2 => 500,  // UNKNOWN
        3 => 400,  // INVALID_ARGUMENT
        4 => 504,  // DEADLINE_EXCEEDED
        5 => 404,  // NOT_FOUND
        6 => 409,  // ALREADY_EXISTS
        7 => 403,  // PERMISSION_DENIED
        8 => 429,  // RESOURCE_EXHAUSTED
        9 => 400,  // FAILED_PRECONDITION
        10 => 409, // ABORTED
        11 => 400, // OUT_OF_RANGE
        12 => 501, // UNIMPLEMENTED
        13 => 500, // INTERNAL
        14 => 503, // UNAVAILABLE
        15 => 500, // DATA_LOSS
        16 => 401, // UNAUTHENTICATED
        _ => 500,
    };

    /// <summary>Reads a grpc-status value as sent on the wire (a decimal number); false for anything else.</summary>
    public static bool TryParseWire(string? value, out int code) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out code);

    /// <summary>A gRPC response by its content type: application/grpc, application/grpc+proto, ….</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null
        && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == 16 || contentType[16] is '+' or ';');
}
