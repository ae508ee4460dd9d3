using System.Globalization;
using System.Net;
using MeshDev.Core.Config.Security;
using MeshDev.Core.Discovery;
using MeshDev.Proxy.Routing;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Inbound.Authorization;

/// <summary>
/// One AuthorizationPolicy compiled for evaluation. A policy matches a request when any of its rules does; a rule
/// when any of its from, any of its to and all of its when match (an absent list matches anything); a field when
/// any of its values matches, and a not* field when none does. No rules: the policy matches nothing.
/// </summary>
public sealed class CompiledAuthorizationPolicy
{
    private readonly Func<AuthorizationRequest, bool>[] _rules;

    private CompiledAuthorizationPolicy(string name, string @namespace, AuthorizationAction action, Func<AuthorizationRequest, bool>[] rules)
    {
        Name = name;
        Namespace = @namespace;
        Action = action;
        _rules = rules;
        Id = $"{@namespace}.{name}";
    }

    public string Name { get; }
    public string Namespace { get; }
    public AuthorizationAction Action { get; }

    /// <summary>"&lt;namespace&gt;.&lt;name&gt;", as stats and logs name the policy.</summary>
    public string Id { get; }

    public bool Matches(AuthorizationRequest request)
    {
        foreach (var rule in _rules)
        {
            if (rule(request))
            {
                return true;
            }
        }

        return false;
    }

    /// <exception cref="InvalidSnapshotException">An IP block, port or key the control plane should have refused.</exception>
    public static CompiledAuthorizationPolicy Compile(AuthorizationRule policy)
    {
        var where = $"authorization policy {policy.Namespace}/{policy.Name}";
        return new CompiledAuthorizationPolicy(policy.Name, policy.Namespace, policy.Action,
            policy.Rules.Select(r => CompileRule(r, policy.Namespace, where)).ToArray());
    }

    private static Func<AuthorizationRequest, bool> CompileRule(AuthorizationPolicyRule rule, string policyNamespace, string where)
    {
        var from = rule.From.Select(f => CompileSource(f, where)).ToArray();
        var to = rule.To.Select(t => CompileOperation(t, where)).ToArray();
        var when = rule.When.Select(c => CompileCondition(c, policyNamespace, where)).ToArray();
        return request =>
            (from.Length == 0 || from.Any(f => f(request)))
            && (to.Length == 0 || to.Any(t => t(request)))
            && when.All(w => w(request));
    }

    private static Func<AuthorizationRequest, bool> CompileSource(AuthorizationSource source, string where)
    {
        var checks = new List<Func<AuthorizationRequest, bool>>();
        AddValues(checks, source.Principals, source.NotPrincipals, r => r.Principal);
        AddValues(checks, source.RequestPrincipals, source.NotRequestPrincipals, r => r.Identity?.Principal);
        AddValues(checks, source.Namespaces, source.NotNamespaces, r => r.PeerNamespace);
        AddIps(checks, source.IpBlocks, source.NotIpBlocks, r => r.SourceIp, where);
        AddIps(checks, source.RemoteIpBlocks, source.NotRemoteIpBlocks, r => r.RemoteIp, where);
        return All(checks);
    }

    private static Func<AuthorizationRequest, bool> CompileOperation(AuthorizationOperation operation, string where)
    {
        var checks = new List<Func<AuthorizationRequest, bool>>();
        AddValues(checks, operation.Hosts, operation.NotHosts, r => r.Host, ignoreCase: true);
        AddPorts(checks, operation.Ports, operation.NotPorts, where);
        AddValues(checks, operation.Methods, operation.NotMethods, r => r.Method);
        var paths = operation.Paths.Select(PathMatcher.Parse).ToArray();
        var notPaths = operation.NotPaths.Select(PathMatcher.Parse).ToArray();
        Add(checks, paths.Length, notPaths.Length, r => paths.Any(p => p(r.Path)), r => notPaths.Any(p => p(r.Path)));
        return All(checks);
    }

    private static Func<AuthorizationRequest, bool> CompileCondition(AuthorizationCondition condition, string policyNamespace, string where)
    {
        var key = condition.Key;
        var checks = new List<Func<AuthorizationRequest, bool>>();
        switch (key)
        {
            case AuthorizationKeys.SourceIp:
                AddIps(checks, condition.Values, condition.NotValues, r => r.SourceIp, where);
                break;
            case AuthorizationKeys.RemoteIp:
                AddIps(checks, condition.Values, condition.NotValues, r => r.RemoteIp, where);
                break;
            case AuthorizationKeys.DestinationIp:
                AddIps(checks, condition.Values, condition.NotValues, r => r.DestinationIp, where);
                break;
            case AuthorizationKeys.DestinationPort:
                AddPorts(checks, condition.Values, condition.NotValues, where);
                break;
            case AuthorizationKeys.SourceNamespace:
                AddValues(checks, condition.Values, condition.NotValues, r => r.PeerNamespace);
                break;
            case AuthorizationKeys.SourcePrincipal:
                AddValues(checks, condition.Values, condition.NotValues, r => r.Principal);
                break;
            case AuthorizationKeys.SourceServiceAccount:
                // "sa" alone names a service account of the policy's namespace.
                var qualified = condition.Values.Select(v => v.Contains('/') ? v : $"{policyNamespace}/{v}").ToArray();
                var notQualified = condition.NotValues.Select(v => v.Contains('/') ? v : $"{policyNamespace}/{v}").ToArray();
                AddValues(checks, qualified, notQualified, r => r.PeerNamespace is null ? null : $"{r.PeerNamespace}/{r.PeerServiceAccount}");
                break;
            case AuthorizationKeys.RequestPrincipal:
                AddValues(checks, condition.Values, condition.NotValues, r => r.Identity?.Principal);
                break;
            case AuthorizationKeys.RequestAudiences:
                AddMany(checks, condition.Values, condition.NotValues, r => r.Identity?.Audiences ?? []);
                break;
            case AuthorizationKeys.RequestPresenter:
                AddValues(checks, condition.Values, condition.NotValues, r => r.Identity?.Presenter);
                break;
            case AuthorizationKeys.ConnectionSni:
                AddValues(checks, condition.Values, condition.NotValues, r => r.Sni);
                break;
            default:
                if (AuthorizationKeys.MapKeys(key, AuthorizationKeys.RequestHeaders) is [var header])
                {
                    AddValues(checks, condition.Values, condition.NotValues, r => r.Header(header));
                }
                else if (AuthorizationKeys.MapKeys(key, AuthorizationKeys.RequestClaims) is { } path)
                {
                    AddMany(checks, condition.Values, condition.NotValues, r => r.Identity?.Claim(path) ?? []);
                }
                else
                {
                    throw new InvalidSnapshotException($"{where}: when key '{key}' is not one MeshDev evaluates");
                }

                break;
        }

        return All(checks);
    }

    private static void AddValues(List<Func<AuthorizationRequest, bool>> checks, IReadOnlyList<string> values, IReadOnlyList<string> notValues,
        Func<AuthorizationRequest, string?> read, bool ignoreCase = false)
    {
        var matchers = values.Select(v => ValueMatcher.Parse(v, ignoreCase)).ToArray();
        var notMatchers = notValues.Select(v => ValueMatcher.Parse(v, ignoreCase)).ToArray();
        Add(checks, matchers.Length, notMatchers.Length,
            r => read(r) is { } value && matchers.Any(m => m.Matches(value)),
            r => read(r) is { } value && notMatchers.Any(m => m.Matches(value)));
    }

    /// <summary>For attributes with several values (audiences, list claims): any of them matching is a match.</summary>
    private static void AddMany(List<Func<AuthorizationRequest, bool>> checks, IReadOnlyList<string> values, IReadOnlyList<string> notValues,
        Func<AuthorizationRequest, IReadOnlyList<string>> read)
    {
        var matchers = values.Select(v => ValueMatcher.Parse(v)).ToArray();
        var notMatchers = notValues.Select(v => ValueMatcher.Parse(v)).ToArray();
        Add(checks, matchers.Length, notMatchers.Length,
            r => read(r).Any(value => matchers.Any(m => m.Matches(value))),
            r => read(r).Any(value => notMatchers.Any(m => m.Matches(value))));
    }

    private static void AddIps(List<Func<AuthorizationRequest, bool>> checks, IReadOnlyList<string> values, IReadOnlyList<string> notValues,
        Func<AuthorizationRequest, IPAddress?> read, string where)
    {
        var blocks = values.Select(v => Block(v, where)).ToArray();
        var notBlocks = notValues.Select(v => Block(v, where)).ToArray();
        Add(checks, blocks.Length, notBlocks.Length,
            r => read(r) is { } ip && blocks.Any(b => b.Contains(ip)),
            r => read(r) is { } ip && notBlocks.Any(b => b.Contains(ip)));
    }

    private static void AddPorts(List<Func<AuthorizationRequest, bool>> checks, IReadOnlyList<string> values, IReadOnlyList<string> notValues, string where)
    {
        var ports = values.Select(v => Port(v, where)).ToHashSet();
        var notPorts = notValues.Select(v => Port(v, where)).ToHashSet();
        Add(checks, ports.Count, notPorts.Count, r => ports.Contains(r.DestinationPort), r => notPorts.Contains(r.DestinationPort));
    }

    private static void Add(List<Func<AuthorizationRequest, bool>> checks, int values, int notValues,
        Func<AuthorizationRequest, bool> anyValue, Func<AuthorizationRequest, bool> anyNotValue)
    {
        if (values > 0)
        {
            checks.Add(anyValue);
        }

        if (notValues > 0)
        {
            checks.Add(r => !anyNotValue(r));
        }
    }

    private static Func<AuthorizationRequest, bool> All(List<Func<AuthorizationRequest, bool>> checks)
    {
        var array = checks.ToArray();
        return r => array.All(c => c(r));
    }

    private static IPNetwork Block(string value, string where) =>
        IpBlock.TryParse(value, out var block) ? block.Value : throw new InvalidSnapshotException($"{where}: '{value}' is not an IP address or CIDR range");

    private static int Port(string value, string where) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new InvalidSnapshotException($"{where}: '{value}' is not a port");
}
