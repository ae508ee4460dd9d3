using System.Globalization;
using System.Text.Json;

namespace MeshDev.Core.Config.Security;

/// <summary>
/// Checks PeerAuthentication, AuthorizationPolicy and RequestAuthentication the way Istio's validation does, and
/// refuses by name what MeshDev does not enforce (CUSTOM, targetRef, ...): a security policy that is silently
/// dropped is worse than one that is refused.
/// </summary>
internal sealed class SecurityValidator(ConfigReport report)
{
    /// <summary>Adds what is wrong with the security resources of <paramref name="config"/> to <paramref name="report"/>.</summary>
    public static void Validate(IReadOnlyList<ConfigResource> config, ConfigReport report)
    {
        var validator = new SecurityValidator(report);
        foreach (var resource in config)
        {
            switch (resource)
            {
                case PeerAuthenticationResource pa:
                    validator.CheckPeerAuthentication(pa);
                    break;
                case AuthorizationPolicyResource ap:
                    validator.CheckAuthorizationPolicy(ap);
                    break;
                case RequestAuthenticationResource ra:
                    validator.CheckRequestAuthentication(ra);
                    break;
            }
        }

        validator.CheckOneScopeWidePeerAuthentication(config.OfType<PeerAuthenticationResource>());
    }

    private void Error(ConfigResource resource, string field, string message) => report.Error(resource, field, message);

    private void Warning(ConfigResource resource, string field, string message) => report.Warning(resource, field, message);

    private void Unsupported(ConfigResource resource, string field, string what, string? instead = null) =>
        report.Unsupported(resource, field, what, instead);

    private void CheckSelector(ConfigResource resource, WorkloadSelectorSpec? selector)
    {
        if (selector is null)
        {
            return;
        }

        if (selector.MatchLabels.Count == 0)
        {
            Warning(resource, "spec.selector", "selector has no matchLabels, so it selects every workload of the namespace; remove selector to say so, or name labels.");
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            var field = $"spec.selector.matchLabels.{key}";
            if (key.Length == 0)
            {
                Error(resource, field, "a label name is empty; name the label, e.g. app.");
            }
            else if (key.Contains('*') || value.Contains('*'))
            {
                Error(resource, field, $"wildcard is not supported in selector ('{key}: {value}'); give the label's exact value.");
            }
        }
    }

    private void CheckTargetRefs(ConfigResource resource, System.Text.Json.Nodes.JsonNode? targetRef, System.Text.Json.Nodes.JsonNode? targetRefs)
    {
        if (targetRef is not null)
        {
            Unsupported(resource, "spec.targetRef", "targetRef (policy attached to a Gateway API resource)", "select workloads with spec.selector.matchLabels");
        }

        if (targetRefs is not null)
        {
            Unsupported(resource, "spec.targetRefs", "targetRefs (policy attached to Gateway API resources)", "select workloads with spec.selector.matchLabels");
        }
    }

    // ---- PeerAuthentication ----

    private void CheckPeerAuthentication(PeerAuthenticationResource pa)
    {
        var spec = pa.Spec;
        CheckSelector(pa, spec.Selector);
        CheckMode(pa, "spec.mtls.mode", spec.Mtls?.Mode);

        if (spec.PortLevelMtlsGivenEmpty)
        {
            Error(pa, "spec.portLevelMtls", "portLevelMtls is empty; give at least one port, e.g. 9080: {mode: DISABLE}, or remove it.");
        }

        if (spec.PortLevelMtls.Count > 0 && (spec.Selector is null || spec.Selector.MatchLabels.Count == 0))
        {
            Error(pa, "spec.portLevelMtls",
                "portLevelMtls needs a selector: a mesh-wide or namespace-wide PeerAuthentication cannot set port-level mTLS (Istio refuses it); add spec.selector.matchLabels naming the workload, or remove portLevelMtls.");
        }

        foreach (var (port, mtls) in spec.PortLevelMtls)
        {
            var field = $"spec.portLevelMtls.{port}";
            if (!uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                Error(pa, field, $"'{port}' is not a port; give a port number from 1 to 65535 (the workload's service port, e.g. 9080).");
            }

            CheckMode(pa, $"{field}.mode", mtls.Mode);
        }
    }

    private void CheckMode(ConfigResource resource, string field, string? mode)
    {
        if (mode is not null && !MtlsSpec.Modes.Contains(mode))
        {
            Error(resource, field, $"mTLS mode '{mode}' is unknown; give one of: {string.Join(", ", MtlsSpec.Modes)}.");
        }
    }

    /// <summary>Istio applies the oldest of several namespace-wide (or mesh-wide) PeerAuthentications and ignores the rest.</summary>
    private void CheckOneScopeWidePeerAuthentication(IEnumerable<PeerAuthenticationResource> policies)
    {
        foreach (var scope in policies.Where(p => p.Spec.Selector is null || p.Spec.Selector.MatchLabels.Count == 0).GroupBy(p => p.Metadata.Namespace))
        {
            var first = scope.First();
            foreach (var later in scope.Skip(1))
            {
                Warning(later, "metadata.name",
                    $"namespace {later.Metadata.Namespace} already has a PeerAuthentication without selector ({first.Metadata.Name}, {first.Source} line {first.Line}); only the oldest one applies, so this one is ignored. Keep one per namespace.");
            }
        }
    }

    // ---- AuthorizationPolicy ----

    private void CheckAuthorizationPolicy(AuthorizationPolicyResource ap)
    {
        var spec = ap.Spec;
        CheckSelector(ap, spec.Selector);
        CheckTargetRefs(ap, spec.TargetRef, spec.TargetRefs);

        if (spec.Action is { } action && !AuthorizationPolicySpec.Actions.Contains(action))
        {
            Error(ap, "spec.action", $"action '{action}' is unknown; give one of: ALLOW, DENY, AUDIT.");
        }
        else if (spec.Action == "CUSTOM")
        {
            Unsupported(ap, "spec.action", "action CUSTOM (delegating to an external authorizer)", "use ALLOW, DENY or AUDIT");
        }

        if (spec.Provider is not null)
        {
            Unsupported(ap, "spec.provider", "provider (an external authorizer for the CUSTOM action)");
        }

        if (spec.Action == "DENY" && spec.Rules.Count == 0)
        {
            Error(ap, "spec.rules",
                "a DENY policy without rules never matches, so it denies nothing; add the rules to deny, or an empty rule '- {}' to deny every request.");
        }

        for (var i = 0; i < spec.Rules.Count; i++)
        {
            CheckRule(ap, spec.Rules[i], $"spec.rules[{i}]");
        }
    }

    private void CheckRule(AuthorizationPolicyResource ap, RuleSpec rule, string path)
    {
        if (rule.FromGivenEmpty)
        {
            Error(ap, $"{path}.from", "from is an empty list; give at least one source, or remove from to match any source.");
        }

        for (var j = 0; j < rule.From.Count; j++)
        {
            var fromPath = $"{path}.from[{j}]";
            if (rule.From[j].Source is not { } source)
            {
                Error(ap, $"{fromPath}.source", "source is missing; give source with at least one field (e.g. principals), or remove this entry.");
                continue;
            }

            CheckSource(ap, source, $"{fromPath}.source");
        }

        if (rule.ToGivenEmpty)
        {
            Error(ap, $"{path}.to", "to is an empty list; give at least one operation, or remove to to match any operation.");
        }

        for (var j = 0; j < rule.To.Count; j++)
        {
            var toPath = $"{path}.to[{j}]";
            if (rule.To[j].Operation is not { } operation)
            {
                Error(ap, $"{toPath}.operation", "operation is missing; give operation with at least one field (e.g. methods), or remove this entry.");
                continue;
            }

            CheckOperation(ap, operation, $"{toPath}.operation");
        }

        for (var j = 0; j < rule.When.Count; j++)
        {
            CheckCondition(ap, rule.When[j], $"{path}.when[{j}]");
        }
    }

    private void CheckSource(AuthorizationPolicyResource ap, SourceSpec source, string path)
    {
        if (source.Fields.All(f => f.Values.Count == 0))
        {
            Error(ap, path, "source is empty; give at least one of principals, requestPrincipals, namespaces, ipBlocks, remoteIpBlocks (or their not* forms).");
        }

        foreach (var (field, values) in source.Fields)
        {
            for (var k = 0; k < values.Count; k++)
            {
                if (values[k].Length == 0)
                {
                    Error(ap, $"{path}.{field}[{k}]", $"an empty value is not allowed in {field}; give a value or remove the entry.");
                }
            }
        }

        if (source.ServiceAccounts.Count + source.NotServiceAccounts.Count > 0
            && source.Principals.Count + source.NotPrincipals.Count + source.Namespaces.Count + source.NotNamespaces.Count > 0)
        {
            Error(ap, $"{path}.{(source.ServiceAccounts.Count > 0 ? "serviceAccounts" : "notServiceAccounts")}",
                "serviceAccounts cannot be set with principals or namespaces (Istio refuses it); use one form or the other.");
        }

        foreach (var (field, values) in new[] { ("serviceAccounts", source.ServiceAccounts), ("notServiceAccounts", source.NotServiceAccounts) })
        {
            for (var k = 0; k < values.Count; k++)
            {
                if (ServiceAccountProblem(values[k]) is { } problem)
                {
                    Error(ap, $"{path}.{field}[{k}]", problem);
                }
            }
        }

        foreach (var (field, values) in new[] { ("ipBlocks", source.IpBlocks), ("notIpBlocks", source.NotIpBlocks), ("remoteIpBlocks", source.RemoteIpBlocks), ("notRemoteIpBlocks", source.NotRemoteIpBlocks) })
        {
            CheckIpBlocks(ap, values, $"{path}.{field}");
        }

        if (source.TrustDomains.Count > 0)
        {
            Unsupported(ap, $"{path}.trustDomains", "trustDomains", "match the trust domain with principals, e.g. \"cluster.local/*\"");
        }

        if (source.NotTrustDomains.Count > 0)
        {
            Unsupported(ap, $"{path}.notTrustDomains", "notTrustDomains", "use notPrincipals, e.g. \"other.domain/*\"");
        }
    }

    internal static string? ServiceAccountProblem(string value)
    {
        if (value.Length == 0)
        {
            return "an empty value is not allowed; give 'namespace/serviceAccount' or 'serviceAccount'.";
        }

        if (value.Contains('*'))
        {
            return $"'{value}' has a wildcard, which serviceAccounts does not allow; name the service account exactly, or use principals for patterns.";
        }

        var parts = value.Split('/');
        return parts.Length > 2 || parts.Any(p => p.Length == 0)
            ? $"'{value}' is not 'namespace/serviceAccount' or 'serviceAccount'; write e.g. 'default/bookinfo-productpage'."
            : null;
    }

    private void CheckIpBlocks(ConfigResource resource, IReadOnlyList<string> values, string path)
    {
        for (var k = 0; k < values.Count; k++)
        {
            if (values[k].Length > 0 && !IpBlock.TryParse(values[k], out _))
            {
                Error(resource, $"{path}[{k}]", values[k].Contains('/')
                    ? $"'{values[k]}' is not a valid CIDR range; write an address and a prefix length, e.g. 10.0.0.0/8 or 2001:db8::/32."
                    : $"'{values[k]}' is not a valid IP address; write e.g. 203.0.113.4, or a CIDR range such as 203.0.113.0/24.");
            }
        }
    }

    private void CheckOperation(AuthorizationPolicyResource ap, OperationSpec operation, string path)
    {
        if (operation.Fields.All(f => f.Values.Count == 0))
        {
            Error(ap, path, "operation is empty; give at least one of hosts, ports, methods, paths (or their not* forms).");
        }

        foreach (var (field, values) in operation.Fields)
        {
            for (var k = 0; k < values.Count; k++)
            {
                if (values[k].Length == 0)
                {
                    Error(ap, $"{path}.{field}[{k}]", $"an empty value is not allowed in {field}; give a value or remove the entry.");
                }
            }
        }

        foreach (var (field, values) in new[] { ("ports", operation.Ports), ("notPorts", operation.NotPorts) })
        {
            CheckPorts(ap, values, $"{path}.{field}");
        }

        foreach (var (field, values) in new[] { ("paths", operation.Paths), ("notPaths", operation.NotPaths) })
        {
            for (var k = 0; k < values.Count; k++)
            {
                var value = values[k];
                if (PathPattern.Problem(value) is { } problem)
                {
                    Error(ap, $"{path}.{field}[{k}]", problem);
                }
                else if (!PathPattern.IsTemplate(value) && value.Length > 2 && value[1..^1].Contains('*'))
                {
                    Warning(ap, $"{path}.{field}[{k}]",
                        $"'{value}' has '*' inside it, which Istio matches literally (only a leading or trailing '*' is a wildcard); use a path template such as /api/{{*}}/items, or a prefix such as /api/*.");
                }
            }
        }
    }

    private void CheckPorts(ConfigResource resource, IReadOnlyList<string> values, string path)
    {
        for (var k = 0; k < values.Count; k++)
        {
            if (values[k].Length > 0 && !(uint.TryParse(values[k], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535))
            {
                Error(resource, $"{path}[{k}]", $"'{values[k]}' is not a port; give a number from 0 to 65535 as a string, e.g. \"9080\".");
            }
        }
    }

    private void CheckCondition(AuthorizationPolicyResource ap, ConditionSpec condition, string path)
    {
        if (string.IsNullOrEmpty(condition.Key))
        {
            Error(ap, $"{path}.key", $"key is missing; name an attribute, one of: {string.Join(", ", AuthorizationKeys.Supported)}.");
            return;
        }

        var key = condition.Key;
        if (condition.Values.Count == 0 && condition.NotValues.Count == 0)
        {
            Error(ap, $"{path}.values", $"give at least one of values or notValues for key {key}.");
        }

        foreach (var (field, values) in new[] { ("values", condition.Values), ("notValues", condition.NotValues) })
        {
            for (var k = 0; k < values.Count; k++)
            {
                if (values[k].Length == 0)
                {
                    Error(ap, $"{path}.{field}[{k}]", $"an empty value is not allowed for key {key}; give a value or remove the entry.");
                }
            }
        }

        switch (key)
        {
            case AuthorizationKeys.SourceIp or AuthorizationKeys.RemoteIp or AuthorizationKeys.DestinationIp:
                CheckIpBlocks(ap, condition.Values, $"{path}.values");
                CheckIpBlocks(ap, condition.NotValues, $"{path}.notValues");
                return;
            case AuthorizationKeys.DestinationPort:
                CheckPorts(ap, condition.Values, $"{path}.values");
                CheckPorts(ap, condition.NotValues, $"{path}.notValues");
                return;
            case AuthorizationKeys.SourceServiceAccount:
                foreach (var (field, values) in new[] { ("values", condition.Values), ("notValues", condition.NotValues) })
                {
                    for (var k = 0; k < values.Count; k++)
                    {
                        if (values[k].Length > 0 && ServiceAccountProblem(values[k]) is { } problem)
                        {
                            Error(ap, $"{path}.{field}[{k}]", problem);
                        }
                    }
                }

                return;
            case AuthorizationKeys.SourceNamespace or AuthorizationKeys.SourcePrincipal or AuthorizationKeys.RequestPrincipal
                or AuthorizationKeys.RequestAudiences or AuthorizationKeys.RequestPresenter or AuthorizationKeys.ConnectionSni:
                return;
        }

        if (key.StartsWith(AuthorizationKeys.RequestHeaders, StringComparison.Ordinal))
        {
            if (AuthorizationKeys.MapKeys(key, AuthorizationKeys.RequestHeaders) is not [_])
            {
                Error(ap, $"{path}.key", $"key '{key}' should have the form request.headers[<header name>], e.g. request.headers[x-token].");
            }
        }
        else if (key.StartsWith(AuthorizationKeys.RequestClaims, StringComparison.Ordinal))
        {
            if (AuthorizationKeys.MapKeys(key, AuthorizationKeys.RequestClaims) is null)
            {
                Error(ap, $"{path}.key", $"key '{key}' should have the form request.auth.claims[<claim>] (or [<claim>][<nested claim>]), e.g. request.auth.claims[groups].");
            }
        }
        else if (key is "destination.namespace")
        {
            Error(ap, $"{path}.key", "key destination.namespace is replaced by the policy's metadata.namespace; put the policy in that namespace instead.");
        }
        else if (key.StartsWith("destination.labels", StringComparison.Ordinal))
        {
            Error(ap, $"{path}.key", $"key '{key}' is replaced by the workload selector; use spec.selector.matchLabels instead.");
        }
        else if (key is "destination.name" or "destination.user")
        {
            Error(ap, $"{path}.key", $"key '{key}' is a deprecated attribute Istio no longer supports; use spec.selector to name the workload.");
        }
        else if (key.StartsWith("request.experimental.inline.headers", StringComparison.Ordinal) || key.StartsWith("experimental.envoy.filters.", StringComparison.Ordinal))
        {
            Unsupported(ap, $"{path}.key", $"the experimental key '{key}'");
        }
        else
        {
            Error(ap, $"{path}.key", $"unknown key '{key}'; give one of: {string.Join(", ", AuthorizationKeys.Supported)}.");
        }
    }

    // ---- RequestAuthentication ----

    private void CheckRequestAuthentication(RequestAuthenticationResource ra)
    {
        var spec = ra.Spec;
        CheckSelector(ra, spec.Selector);
        CheckTargetRefs(ra, spec.TargetRef, spec.TargetRefs);
        for (var i = 0; i < spec.JwtRules.Count; i++)
        {
            CheckJwtRule(ra, spec.JwtRules[i], $"spec.jwtRules[{i}]");
        }
    }

    private void CheckJwtRule(RequestAuthenticationResource ra, JwtRuleSpec rule, string path)
    {
        if (string.IsNullOrEmpty(rule.Issuer))
        {
            Error(ra, $"{path}.issuer", "issuer is missing; give the token issuer (its iss claim), e.g. \"testing@secure.istio.io\".");
        }

        for (var k = 0; k < rule.Audiences.Count; k++)
        {
            if (rule.Audiences[k].Length == 0)
            {
                Error(ra, $"{path}.audiences[{k}]", "an audience must be a non-empty string; give the audience or remove the entry.");
            }
        }

        if (rule.JwksUri is { } uri)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                Error(ra, $"{path}.jwksUri", $"jwksUri '{uri}' is not an http:// or https:// URL; give the URL of the issuer's JSON Web Key Set.");
            }
        }

        if (rule.Jwks is { } jwks && JwksDocument.Problem(jwks) is { } problem)
        {
            Error(ra, $"{path}.jwks", $"jwks is not a JSON Web Key Set: {problem}; give JSON such as {{\"keys\":[{{\"kty\":\"RSA\",\"n\":\"...\",\"e\":\"AQAB\"}}]}}.");
        }

        if (rule.Jwks is null && rule.JwksUri is null && !string.IsNullOrEmpty(rule.Issuer))
        {
            Error(ra, $"{path}.jwksUri",
                $"give jwksUri (or jwks) for issuer '{rule.Issuer}': discovering the key set from the issuer's OpenID configuration is {ConfigValidator.NotSupported}.");
        }

        if (rule.Jwks is not null && rule.JwksUri is not null)
        {
            Error(ra, $"{path}.jwks", "give either jwks or jwksUri, not both: the keys come from one place.");
        }

        for (var k = 0; k < rule.FromHeaders.Count; k++)
        {
            var name = rule.FromHeaders[k].Name;
            if (string.IsNullOrEmpty(name))
            {
                Error(ra, $"{path}.fromHeaders[{k}].name", "name is missing; name the header that carries the token, e.g. x-jwt-assertion.");
            }
            else if (!IsHeaderName(name))
            {
                Error(ra, $"{path}.fromHeaders[{k}].name", $"'{name}' is not a valid HTTP header name.");
            }
        }

        for (var k = 0; k < rule.FromParams.Count; k++)
        {
            if (rule.FromParams[k].Length == 0)
            {
                Error(ra, $"{path}.fromParams[{k}]", "a query parameter name must be a non-empty string, e.g. access_token.");
            }
        }

        if (rule.FromCookies.Count > 0)
        {
            Unsupported(ra, $"{path}.fromCookies", "reading the token from cookies", "send it in a header (fromHeaders) or a query parameter (fromParams)");
        }

        if (rule.OutputPayloadToHeader is { } header && !IsHeaderName(header))
        {
            Error(ra, $"{path}.outputPayloadToHeader", $"'{header}' is not a valid HTTP header name.");
        }

        if (rule.OutputClaimToHeaders is not null)
        {
            Unsupported(ra, $"{path}.outputClaimToHeaders", "outputClaimToHeaders", "outputPayloadToHeader passes every claim to the app");
        }

        if (rule.Timeout is { } timeout && timeout < TimeSpan.FromMilliseconds(1))
        {
            Error(ra, $"{path}.timeout", $"timeout {timeout.TotalMilliseconds}ms is too short; give at least 1ms, e.g. \"5s\".");
        }
    }

    private static bool IsHeaderName(string name) =>
        name.Length > 0 && name.All(c => c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".IndexOf(c) < 0);
}
