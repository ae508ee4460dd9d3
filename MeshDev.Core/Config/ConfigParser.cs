using System.Text.Json.Nodes;
using MeshDev.Core.Config.Security;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MeshDev.Core.Config;

/// <summary>The resources read from one source, and every problem found; use the resources only when there is no error.</summary>
public sealed record ConfigParseResult(IReadOnlyList<ConfigResource> Resources, IReadOnlyList<ConfigMessage> Messages)
{
    public bool HasErrors => Messages.Any(m => m.IsError);
}

/// <summary>
/// Reads Istio networking and security resources (VirtualService, DestinationRule, Gateway, PeerAuthentication,
/// AuthorizationPolicy, RequestAuthentication) from multi-document YAML text. Every
/// document is read, so one pass reports every problem; an empty document (a trailing "---") is skipped.
/// </summary>
public static class ConfigParser
{
    public static ConfigParseResult Parse(string text, string source)
    {
        if (YamlShape.Check(text, source) is { } refused)
        {
            return new ConfigParseResult([], [refused]);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            var reason = (ex.InnerException?.Message ?? ex.Message).Trim();
            return new ConfigParseResult([], [new ConfigMessage(source, (int)ex.Start.Line, (int)ex.Start.Column, null, null, null, null,
                $"not valid YAML: {reason}")]);
        }

        var resources = new List<ConfigResource>();
        var messages = new List<ConfigMessage>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode scalar && YamlSpecReader.IsNull(scalar))
            {
                continue;
            }

            var context = new ReadContext(source);
            if (document.RootNode is not YamlMappingNode root)
            {
                context.Error("", document.RootNode, $"expected a resource (an object with apiVersion, kind, metadata and spec), got {YamlSpecReader.Describe(document.RootNode)}.");
            }
            else if (ReadResource(root, context) is { } resource && !context.Messages.Any(m => m.IsError))
            {
                resources.Add(resource);
            }

            messages.AddRange(context.Messages);
        }

        return new ConfigParseResult(resources, messages);
    }

    private static ConfigResource? ReadResource(YamlMappingNode root, ReadContext context)
    {
        var envelope = new YamlSpecReader(root, "", context);
        var apiVersion = envelope.String("apiVersion");
        var kind = envelope.String("kind");
        var metadata = envelope.Object("metadata", ReadMetadata);
        var specNode = envelope.Node("spec");
        envelope.Raw("status");
        envelope.ReportUnknownFields();

        context.Kind = kind;
        context.Namespace = metadata?.Namespace;
        context.Name = metadata?.Name;
        for (var i = 0; i < context.Messages.Count; i++)
        {
            // Problems found before the envelope was known still belong to this resource.
            context.Messages[i] = context.Messages[i] with { Kind = kind, Namespace = metadata?.Namespace, Name = metadata?.Name };
        }

        if (apiVersion is null)
        {
            context.Error("apiVersion", root, $"apiVersion is missing; expected one of: {string.Join(", ", ConfigKinds.ApiVersions)}.");
        }

        if (kind is null)
        {
            context.Error("kind", root, $"kind is missing; expected one of: {string.Join(", ", ConfigKinds.Kinds)}.");
        }

        if (metadata is null)
        {
            context.Error("metadata", root, "metadata is missing; expected metadata.name (and optionally namespace, labels, annotations).");
        }

        else if (metadata.Name.Length == 0)
        {
            context.Error("metadata.name", root.Children.Keys.First(k => k is YamlScalarNode { Value: "metadata" }),
                "metadata.name is missing; every resource needs a name.");
        }

        if (specNode is null)
        {
            context.Error("spec", root, "spec is missing.");
        }
        else if (specNode is not YamlMappingNode)
        {
            context.Error("spec", specNode, $"expected an object (a mapping of fields), got {YamlSpecReader.Describe(specNode)}.");
        }

        if (apiVersion is null || kind is null || metadata is null || specNode is not YamlMappingNode spec)
        {
            return null;
        }

        var knownVersion = ConfigKinds.ApiVersions.Contains(apiVersion);
        var knownKind = ConfigKinds.Kinds.Contains(kind);
        if (!knownVersion || !knownKind)
        {
            var at = root.Children.Keys.First(k => k is YamlScalarNode s && s.Value == (knownVersion ? "kind" : "apiVersion"));
            context.Error(knownVersion ? "kind" : "apiVersion", at,
                $"unknown kind '{kind}' in apiVersion '{apiVersion}'; MeshDev reads {string.Join(", ", ConfigKinds.Kinds)} in {string.Join(", ", ConfigKinds.ApiVersions)}.");
            return null;
        }

        if (!ConfigKinds.ApiVersionsOf(kind).Contains(apiVersion))
        {
            context.Error("apiVersion", root.Children.Keys.First(k => k is YamlScalarNode { Value: "apiVersion" }),
                $"{kind} is not in apiVersion '{apiVersion}'; write one of: {string.Join(", ", ConfigKinds.ApiVersionsOf(kind))}.");
            return null;
        }

        var rawSpec = (JsonObject)YamlJson.ToJson(spec)!;
        var line = (int)root.Start.Line;
        return kind switch
        {
            VirtualServiceResource.KindName => new VirtualServiceResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, VirtualServiceSpec.Read),
            },
            DestinationRuleResource.KindName => new DestinationRuleResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, DestinationRuleSpec.Read),
            },
            PeerAuthenticationResource.KindName => new PeerAuthenticationResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, PeerAuthenticationSpec.Read),
            },
            AuthorizationPolicyResource.KindName => new AuthorizationPolicyResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, AuthorizationPolicySpec.Read),
            },
            RequestAuthenticationResource.KindName => new RequestAuthenticationResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, RequestAuthenticationSpec.Read),
            },
            _ => new GatewayResource
            {
                ApiVersion = apiVersion, Metadata = metadata, Source = context.Source, Line = line, RawSpec = rawSpec,
                FieldLocations = context.Locations,
                Spec = YamlSpecReader.ReadObject(spec, "spec", context, GatewaySpec.Read),
            },
        };
    }

    private static ResourceMetadata ReadMetadata(YamlSpecReader r)
    {
        var name = r.String("name");
        var @namespace = r.String("namespace");
        var labels = r.StringMap("labels");
        var annotations = r.StringMap("annotations");
        // Set by a cluster, harmless when a file was exported from one.
        r.Raw("uid");
        r.Raw("resourceVersion");
        r.Raw("generation");
        r.Raw("creationTimestamp");
        return new ResourceMetadata
        {
            Name = name ?? "",
            Namespace = string.IsNullOrEmpty(@namespace) ? MeshEnvironment.DefaultNamespace : @namespace,
            Labels = labels,
            Annotations = annotations,
        };
    }
}
