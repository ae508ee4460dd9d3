using MeshDev.Core.Config;
using MeshDev.Core.Discovery;

namespace MeshDev.ControlPlane.Push.Compiling;

/// <summary>A VirtualService route's redirect and rewrite as the snapshot carries them (validated beforehand).</summary>
public static class RedirectRewriteCompiler
{
    public static HttpRedirect Redirect(HttpRedirectSpec spec) => new()
    {
        Uri = spec.Uri ?? "",
        Authority = spec.Authority ?? "",
        Scheme = spec.Scheme ?? "",
        Port = (uint)(spec.Port ?? 0),
        DerivePort = spec.DerivePort switch
        {
            "FROM_PROTOCOL_DEFAULT" => HttpRedirect.Types.DerivePort.FromProtocolDefault,
            "FROM_REQUEST_PORT" => HttpRedirect.Types.DerivePort.FromRequestPort,
            _ => HttpRedirect.Types.DerivePort.Unspecified,
        },
        // Istio's default.
        RedirectCode = (uint)(spec.RedirectCode ?? 301),
    };

    public static HttpRewrite Rewrite(HttpRewriteSpec spec)
    {
        var rewrite = new HttpRewrite { Uri = spec.Uri ?? "", Authority = spec.Authority ?? "" };
        if (spec.UriRegexRewrite is { } regex)
        {
            rewrite.UriRegex = new RegexRewrite { Pattern = regex.Match ?? "", Substitution = regex.Rewrite ?? "" };
        }

        return rewrite;
    }
}
