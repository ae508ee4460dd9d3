namespace Bookinfo.ProductPage.Upstreams;

// What productpage got from a service it depends on: the value, or the status and the text shown instead.
public sealed record UpstreamResult<T>(int StatusCode, T? Value, string? Error) where T : class
{
    public bool IsSuccess => Value is not null;

    public static UpstreamResult<T> Success(T value) => new(StatusCodes.Status200OK, value, Error: null);

    public static UpstreamResult<T> Failure(int statusCode, string error) => new(statusCode, Value: null, error);
}
