using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshDev.Core.Config.Security;

/// <summary>
/// An address range as Istio's ipBlocks and source.ip take it: one address ("203.0.113.4") or a CIDR
/// ("203.0.113.0/24"). Bits past the prefix are ignored, as Envoy's CidrRange does.
/// </summary>
public static class IpBlock
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPNetwork? block)
    {
        block = null;
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out var address))
        {
            return false;
        }

        var maxLength = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = maxLength;
        if (slash >= 0 && !(int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) && length <= maxLength))
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        block = new IPNetwork(new IPAddress(bytes), length);
        return true;
    }

    /// <summary>Strict: IPv4 only in dotted-quad form (not "10" or "10.1"), as Go's netip is.</summary>
    public static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.Length == 0 || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork
            && !(text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit))))
        {
            return false;
        }

        address = parsed;
        return true;
    }
}
