using MeshDev.Proxy.Configuration;
using MeshDev.Proxy.Inbound.Authorization;
using MeshDev.Proxy.Telemetry;

namespace MeshDev.Proxy.Inbound;

/// <summary>
/// Runs a listener's security in Envoy's filter order before anything is forwarded: JWT authentication
/// (RequestAuthentication), then authorization (AuthorizationPolicy: AUDIT, DENY, ALLOW). A refused request gets
/// Envoy's local reply: 401 "Jwt verification fails" or 403 "RBAC: access denied". The same enforcer serves a
/// sidecar's inbound listener and the gateway's listener.
/// </summary>
public sealed partial class InboundPolicyEnforcer(ISnapshotSource<IInboundSnapshot> snapshots, SecurityStats stats, int destinationPort, ILogger logger)
{
    public const string JwtFailureBody = "Jwt verification fails";
    public const string AccessDeniedBody = "RBAC: access denied";

    /// <returns>True when the request may go on; otherwise the reply has been written.</returns>
    public async Task<bool> AllowAsync(HttpContext context)
    {
        var policy = snapshots.Current.InboundPolicy;
        if (!policy.Enforces)
        {
            return true;
        }

        var identity = default(Authentication.RequestIdentity);
        if (policy.Jwt.HasRules)
        {
            var outcome = await policy.Jwt.AuthenticateAsync(context);
            if (outcome.Rejected)
            {
                stats.JwtDenied.Increment();
                LogJwtRejected(context.Request.Method, context.Request.Path.Value ?? "/", outcome.Failure!);
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}\", error=\"invalid_token\"";
                await WriteAsync(context, StatusCodes.Status401Unauthorized, JwtFailureBody);
                return false;
            }

            stats.JwtAllowed.Increment();
            identity = outcome.Identity;
        }

        if (!policy.Authorization.HasPolicies)
        {
            return true;
        }

        var request = AuthorizationRequest.From(context, destinationPort, identity);
        var decision = policy.Authorization.Evaluate(request);
        foreach (var audited in decision.Audited)
        {
            LogAudited(audited.Namespace, audited.Name, request.Method, request.Path, request.Principal ?? "(none)", identity?.Principal ?? "(none)");
        }

        if (decision.Allowed)
        {
            stats.RbacAllowed.Increment();
            return true;
        }

        stats.RbacDenied.Increment();
        if (decision.DeniedBy is { } deny)
        {
            stats.PolicyDenied(deny.Id).Increment();
            LogDeniedByPolicy(deny.Namespace, deny.Name, request.Method, request.Path, request.Principal ?? "(none)", identity?.Principal ?? "(none)");
        }
        else
        {
            LogNotAllowed(request.Method, request.Path, request.Principal ?? "(none)", identity?.Principal ?? "(none)",
                string.Join(", ", policy.Policies.Where(p => p.Action == Core.Discovery.AuthorizationAction.Allow).Select(p => $"{p.Namespace}/{p.Name}")));
        }

        await WriteAsync(context, StatusCodes.Status403Forbidden, AccessDeniedBody);
        return false;
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "JWT authentication rejected {Method} {Path}: {Reason}")]
    private partial void LogJwtRejected(string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "RBAC: {Method} {Path} denied by DENY policy {Namespace}/{Policy} (peer {Principal}, request principal {RequestPrincipal})")]
    private partial void LogDeniedByPolicy(string @namespace, string policy, string method, string path, string principal, string requestPrincipal);

    [LoggerMessage(Level = LogLevel.Information, Message = "RBAC: {Method} {Path} denied: no ALLOW policy matched (peer {Principal}, request principal {RequestPrincipal}; ALLOW policies: {Policies})")]
    private partial void LogNotAllowed(string method, string path, string principal, string requestPrincipal, string policies);

    [LoggerMessage(Level = LogLevel.Information, Message = "RBAC audit: {Method} {Path} matched AUDIT policy {Namespace}/{Policy} (peer {Principal}, request principal {RequestPrincipal})")]
    private partial void LogAudited(string @namespace, string policy, string method, string path, string principal, string requestPrincipal);
}
