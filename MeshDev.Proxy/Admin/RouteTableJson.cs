using System.Text.Json;
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
public static class RouteTableJson
{
    public static void Write(Utf8JsonWriter json, CompiledRouteTable table)
    {
        json.WriteStartObject();
        json.WriteString("name", table.Name);
        json.WriteStartArray("routes");
        foreach (var route in table.Routes)
        {
            json.WriteStartObject();
            json.WriteString("name", route.Name);
            json.WriteStartArray("matches");
            foreach (var match in route.Matches)
            {
                json.WriteStartObject();
                WriteMatcher(json, "uri", match.Uri);
                WriteMatcher(json, "method", match.Method);
                WriteMatchers(json, "headers", match.Headers);
                WriteMatchers(json, "queryParams", match.QueryParameters);
                WriteMatchers(json, "withoutHeaders", match.WithoutHeaders);
                json.WriteBoolean("ignoreUriCase", match.IgnoreUriCase);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteDestinations(json, route.Destinations);
            json.WriteNumber("timeoutMs", (long)route.Timeout.TotalMilliseconds);
            json.WriteStartObject("retries");
            json.WriteNumber("attempts", route.Retries.Retries);
            json.WriteNumber("perTryTimeoutMs", (long)route.Retries.PerTryTimeout.TotalMilliseconds);
            json.WriteStartArray("retryOn");
            foreach (var condition in Enum.GetValues<RetryOn>().Where(c => c != RetryOn.None && route.Retries.Conditions.HasFlag(c)))
            {
                json.WriteStringValue(condition.ToString());
            }

            json.WriteEndArray();
            json.WriteStartArray("statusCodes");
            foreach (var code in route.Retries.StatusCodes.Order())
            {
                json.WriteNumberValue(code);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            if (route.Fault is { } fault)
            {
                json.WriteStartObject("fault");
                json.WriteNumber("delayMs", (long)fault.Delay.TotalMilliseconds);
                json.WriteNumber("delayPercentage", fault.DelayPercentage);
                json.WriteNumber("abortHttpStatus", fault.AbortHttpStatus);
                if (fault.AbortGrpcStatus is { } grpc)
                {
                    json.WriteNumber("abortGrpcStatus", grpc);
                }
                else
                {
                    json.WriteNull("abortGrpcStatus");
                }

                json.WriteNumber("abortPercentage", fault.AbortPercentage);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("fault");
            }

            WriteHeaderOperations(json, "requestHeaders", route.RequestHeaders);
            WriteHeaderOperations(json, "responseHeaders", route.ResponseHeaders);
            WriteRedirect(json, route.Redirect);
            WriteRewrite(json, route.Rewrite);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("tcpRoutes");
        foreach (var route in table.TcpRoutes)
        {
            json.WriteStartObject();
            json.WriteString("name", route.Name);
            WriteDestinations(json, route.Destinations);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteDestinations(Utf8JsonWriter json, RouteDestination[] destinations)
    {
        json.WriteStartArray("destinations");
        foreach (var destination in destinations)
        {
            json.WriteStartObject();
            json.WriteString("service", destination.Service);
            json.WriteString("subset", destination.Subset);
            json.WriteNumber("weight", destination.Weight);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteRedirect(Utf8JsonWriter json, RouteRedirect? redirect)
    {
        if (redirect is null)
        {
            json.WriteNull("redirect");
            return;
        }

        var (uri, authority, scheme, port, derivePort) = redirect.Parts;
        json.WriteStartObject("redirect");
        json.WriteString("uri", uri);
        json.WriteString("authority", authority);
        json.WriteString("scheme", scheme);
        json.WriteNumber("port", port);
        json.WriteString("derivePort", derivePort.ToString());
        json.WriteNumber("redirectCode", redirect.StatusCode);
        json.WriteEndObject();
    }

    private static void WriteRewrite(Utf8JsonWriter json, RouteRewrite? rewrite)
    {
        if (rewrite is null)
        {
            json.WriteNull("rewrite");
            return;
        }

        json.WriteStartObject("rewrite");
        json.WriteString("uri", rewrite.Uri);
        json.WriteString("authority", rewrite.Authority);
        if (rewrite.Pattern is null)
        {
            json.WriteNull("uriRegex");
        }
        else
        {
            json.WriteStartObject("uriRegex");
            json.WriteString("pattern", rewrite.Pattern);
            json.WriteString("substitution", rewrite.Substitution);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteMatcher(Utf8JsonWriter json, string name, StringMatcher? matcher)
    {
        if (matcher is null)
        {
            json.WriteNull(name);
            return;
        }

        var (kind, value) = matcher.Describe();
        json.WriteStartObject(name);
        json.WriteString(kind, value);
        json.WriteEndObject();
    }

    private static void WriteMatchers(Utf8JsonWriter json, string name, KeyValuePair<string, StringMatcher>[] matchers)
    {
        json.WriteStartObject(name);
        foreach (var (key, matcher) in matchers)
        {
            var (kind, value) = matcher.Describe();
            json.WriteStartObject(key);
            json.WriteString(kind, value);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteHeaderOperations(Utf8JsonWriter json, string name, HeaderOperations operations)
    {
        json.WriteStartObject(name);
        json.WriteStartObject("set");
        foreach (var (key, value) in operations.Set)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteStartObject("add");
        foreach (var (key, value) in operations.Add)
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteStartArray("remove");
        foreach (var header in operations.Remove)
        {
            json.WriteStringValue(header);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
