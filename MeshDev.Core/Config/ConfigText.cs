using System.Buffers;
using System.Text;

namespace MeshDev.Core.Config;

/// <summary>Config bytes as text: strict UTF-8, so a binary file or a mangled upload is refused where it goes wrong, never silently patched.</summary>
public static class ConfigText
{
    /// <summary>4 MiB for one apply or one file: Bookinfo's whole config is 20 KB; Kubernetes caps an object at 1.5 MiB.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <returns>The text, or null with <paramref name="problem"/> naming the first bad byte, its offset, line and column.</returns>
    public static string? Decode(ReadOnlySpan<byte> bytes, string source, out ConfigMessage? problem)
    {
        problem = null;
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out var rune, out var consumed) != OperationStatus.Done)
            {
                var before = bytes[..offset];
                var line = before.Count((byte)'\n') + 1;
                var column = Strict.GetCharCount(before[(before.LastIndexOf((byte)'\n') + 1)..]) + 1;
                problem = new ConfigMessage(source, line, column, null, null, null, null,
                    $"not UTF-8 text: byte 0x{bytes[offset]:X2} at offset {offset} (line {line}, column {column}) is not valid UTF-8; save it as UTF-8 text.");
                return null;
            }

            if (rune.Value == 0)
            {
                problem = new ConfigMessage(source, bytes[..offset].Count((byte)'\n') + 1, null, null, null, null, null,
                    $"not text: a NUL byte at offset {offset}; a binary file is not mesh config.");
                return null;
            }

            offset += consumed;
        }

        return Strict.GetString(bytes);
    }
}
