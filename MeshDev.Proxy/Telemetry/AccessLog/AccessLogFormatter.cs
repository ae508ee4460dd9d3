using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MeshDev.Proxy.Telemetry.AccessLog;

/// <summary>
/// Istio's access log formats. Text is Istio's default line, Envoy's default format with Istio's additions:
/// <code>
/// [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
/// %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
/// %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
/// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%
/// %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME% %TRACE_ID%
/// </code>
/// (one line), the trace id last. JSON carries the same fields under Istio's JSON names plus "trace_id".
/// </summary>
public static class AccessLogFormatter
{
    private const string None = "-";

    public static string Text(AccessLogEntry entry)
    {
        var line = new StringBuilder(256);
        line.Append('[').Append(entry.StartTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append("] \"")
            .Append(entry.Method).Append(' ').Append(entry.Path).Append(' ').Append(entry.Protocol).Append("\" ")
            .Append(entry.ResponseCode.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(entry.ResponseFlags).Append(' ')
            .Append(entry.ResponseCodeDetails).Append(' ')
            .Append(None).Append(' ')                       // connection termination details
            .Append('"').Append(None).Append("\" ")         // upstream transport failure reason
            .Append(entry.BytesReceived.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(entry.BytesSent.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(entry.DurationMilliseconds.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(None).Append(' ')                       // x-envoy-upstream-service-time
            .Append('"').Append(Field(entry.ForwardedFor)).Append("\" ")
            .Append('"').Append(Field(entry.UserAgent)).Append("\" ")
            .Append('"').Append(Field(entry.RequestId)).Append("\" ")
            .Append('"').Append(Field(entry.Authority)).Append("\" ")
            .Append('"').Append(Field(entry.UpstreamHost)).Append("\" ")
            .Append(Field(entry.UpstreamCluster)).Append(' ')
            .Append(None).Append(' ')                       // upstream local address
            .Append(Field(entry.DownstreamLocalAddress)).Append(' ')
            .Append(Field(entry.DownstreamRemoteAddress)).Append(' ')
            .Append(None).Append(' ')                       // requested server name
            .Append(Field(entry.RouteName)).Append(' ')
            .Append(Field(entry.TraceId));
        return line.ToString();
    }

    public static string Json(AccessLogEntry entry)
    {
        using var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("start_time", entry.StartTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("method", entry.Method);
            json.WriteString("path", entry.Path);
            json.WriteString("protocol", entry.Protocol);
            json.WriteNumber("response_code", entry.ResponseCode);
            json.WriteString("response_flags", entry.ResponseFlags);
            json.WriteString("response_code_details", entry.ResponseCodeDetails);
            json.WriteNull("connection_termination_details");
            json.WriteNull("upstream_transport_failure_reason");
            json.WriteNumber("bytes_received", entry.BytesReceived);
            json.WriteNumber("bytes_sent", entry.BytesSent);
            json.WriteNumber("duration", entry.DurationMilliseconds);
            json.WriteNull("upstream_service_time");
            WriteOptional(json, "x_forwarded_for", entry.ForwardedFor);
            WriteOptional(json, "user_agent", entry.UserAgent);
            WriteOptional(json, "request_id", entry.RequestId);
            WriteOptional(json, "authority", entry.Authority);
            WriteOptional(json, "upstream_host", entry.UpstreamHost);
            WriteOptional(json, "upstream_cluster", entry.UpstreamCluster);
            json.WriteNull("upstream_local_address");
            WriteOptional(json, "downstream_local_address", entry.DownstreamLocalAddress);
            WriteOptional(json, "downstream_remote_address", entry.DownstreamRemoteAddress);
            json.WriteNull("requested_server_name");
            WriteOptional(json, "route_name", entry.RouteName);
            WriteOptional(json, "trace_id", entry.TraceId);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Field(string? value) => string.IsNullOrEmpty(value) ? None : value.Replace('"', '\'');

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
