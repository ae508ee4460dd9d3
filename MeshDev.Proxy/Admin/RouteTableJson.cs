using System.Text.Json;
using System.Text.Json.Serialization;
using MeshDev.Proxy.Routing;

namespace MeshDev.Proxy.Admin;

/// <summary>
/// A compiled route table in /config_dump: {"name","routes":[{"name","matches":[{"uri":{"exact"|"prefix"|"regex"},
/// "method","headers":{name:{...}},"queryParams","withoutHeaders","ignoreUriCase"}],"destinations":[{"service","subset",
/// "weight"}],"timeoutMs","retries":{"attempts","perTryTimeoutMs","retryOn":[...],"statusCodes":[...]},
/// "fault":{"delayMs","delayPercentage","abortHttpStatus","abortGrpcStatus","abortPercentage"}|null,
/// "requestHeaders","responseHeaders":{"set","add","remove"},"redirect":{"uri","authority","scheme","port","derivePort",
/// "redirectCode"}|null,"rewrite":{"uri","authority","uriRegex":{"pattern","substitution"}|null}|null}],"tcpRoutes":[{"name",
/// "destinations":[{"service","subset","weight"}]}]}.
/// </summary>
public sealed record RouteTableJson(string Name, IReadOnlyList<RouteJson> Routes, IReadOnlyList<TcpRouteJson> TcpRoutes)
{
    public static RouteTableJson From(CompiledRouteTable table) => new(
        table.Name,
        [.. table.Routes.Select(RouteJson.From)],
        [.. table.TcpRoutes.Select(r => new TcpRouteJson(r.Name, RouteDestinationJson.From(r.Destinations)))]);
}

public sealed record RouteJson(
    string Name,
    IReadOnlyList<RouteMatchJson> Matches,
    IReadOnlyList<RouteDestinationJson> Destinations,
    long TimeoutMs,
    RouteRetriesJson Retries,
    RouteFaultJson? Fault,
    HeaderOperationsJson RequestHeaders,
    HeaderOperationsJson ResponseHeaders,
    RouteRedirectJson? Redirect,
    RouteRewriteJson? Rewrite)
{
    public static RouteJson From(CompiledRoute route) => new(
        route.Name,
        [.. route.Matches.Select(RouteMatchJson.From)],
        RouteDestinationJson.From(route.Destinations),
        (long)route.Timeout.TotalMilliseconds,
        new RouteRetriesJson(
            route.Retries.Retries,
            (long)route.Retries.PerTryTimeout.TotalMilliseconds,
            [.. Enum.GetValues<RetryOn>().Where(c => c != RetryOn.None && route.Retries.Conditions.HasFlag(c)).Select(c => c.ToString())],
            [.. route.Retries.StatusCodes.Order()]),
        route.Fault is { } fault
            ? new RouteFaultJson((long)fault.Delay.TotalMilliseconds, fault.DelayPercentage, fault.AbortHttpStatus, fault.AbortGrpcStatus, fault.AbortPercentage)
            : null,
        HeaderOperationsJson.From(route.RequestHeaders),
        HeaderOperationsJson.From(route.ResponseHeaders),
        RouteRedirectJson.From(route.Redirect),
        route.Rewrite is { } rewrite
            ? new RouteRewriteJson(rewrite.Uri, rewrite.Authority,
                rewrite.Pattern is null ? null : new RegexRewriteJson(rewrite.Pattern, rewrite.Substitution))
            : null);
}

public sealed record RouteMatchJson(
    StringMatcherJson? Uri,
    StringMatcherJson? Method,
    [property: JsonConverter(typeof(JsonMembersConverter<StringMatcherJson>))] JsonMembers<StringMatcherJson> Headers,
    [property: JsonConverter(typeof(JsonMembersConverter<StringMatcherJson>))] JsonMembers<StringMatcherJson> QueryParams,
    [property: JsonConverter(typeof(JsonMembersConverter<StringMatcherJson>))] JsonMembers<StringMatcherJson> WithoutHeaders,
    bool IgnoreUriCase)
{
    public static RouteMatchJson From(RequestMatch match) => new(
        StringMatcherJson.From(match.Uri),
        StringMatcherJson.From(match.Method),
        Members(match.Headers),
        Members(match.QueryParameters),
        Members(match.WithoutHeaders),
        match.IgnoreUriCase);

    private static JsonMembers<StringMatcherJson> Members(KeyValuePair<string, StringMatcher>[] matchers) =>
        new(matchers.Select(m => KeyValuePair.Create(m.Key, StringMatcherJson.From(m.Value)!)));
}

/// <summary>A string matcher as Istio writes it: {"exact"|"prefix"|"regex": value}.</summary>
[JsonConverter(typeof(StringMatcherJsonConverter))]
public sealed record StringMatcherJson(string Kind, string Value)
{
    public static StringMatcherJson? From(StringMatcher? matcher) =>
        matcher?.Describe() is var (kind, value) ? new StringMatcherJson(kind, value) : null;
}

public sealed class StringMatcherJsonConverter : JsonConverter<StringMatcherJson>
{
    public override StringMatcherJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Admin JSON is written, never read.");

    public override void Write(Utf8JsonWriter writer, StringMatcherJson value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(value.Kind, value.Value);
        writer.WriteEndObject();
    }
}

public sealed record RouteDestinationJson(string Service, string Subset, int Weight)
{
    public static IReadOnlyList<RouteDestinationJson> From(RouteDestination[] destinations) =>
        [.. destinations.Select(d => new RouteDestinationJson(d.Service, d.Subset, d.Weight))];
}

public sealed record RouteRetriesJson(int Attempts, long PerTryTimeoutMs, IReadOnlyList<string> RetryOn, IReadOnlyList<int> StatusCodes);

public sealed record RouteFaultJson(long DelayMs, double DelayPercentage, int AbortHttpStatus, int? AbortGrpcStatus, double AbortPercentage);

public sealed record HeaderOperationsJson(
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> Set,
    [property: JsonConverter(typeof(JsonMembersConverter<string>))] JsonMembers<string> Add,
    IReadOnlyList<string> Remove)
{
    public static HeaderOperationsJson From(HeaderOperations operations) => new(new(operations.Set), new(operations.Add), [.. operations.Remove]);
}

public sealed record RouteRedirectJson(string? Uri, string? Authority, string? Scheme, int Port, string DerivePort, int RedirectCode)
{
    public static RouteRedirectJson? From(RouteRedirect? redirect)
    {
        if (redirect is null)
        {
            return null;
        }

        var (uri, authority, scheme, port, derivePort) = redirect.Parts;
        return new RouteRedirectJson(uri, authority, scheme, port, derivePort.ToString(), redirect.StatusCode);
    }
}

public sealed record RouteRewriteJson(string? Uri, string? Authority, RegexRewriteJson? UriRegex);

public sealed record RegexRewriteJson(string Pattern, string? Substitution);

public sealed record TcpRouteJson(string Name, IReadOnlyList<RouteDestinationJson> Destinations);
