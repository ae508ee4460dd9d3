using System.Text;
using System.Text.RegularExpressions;

namespace MeshDev.Core.Config;

/// <summary>
/// The substitution of a regex rewrite as Envoy takes it (RE2's rewrite strings): <c>\1</c> to <c>\9</c> insert a
/// capture group, <c>\0</c> the whole match, <c>\\</c> a backslash; any other character stands for itself. The control
/// plane checks one with <see cref="Check"/>, the proxy turns it into .NET's replacement syntax with <see cref="ToDotNet"/>.
/// </summary>
public static class Re2Rewrite
{
    /// <summary>Null when RE2 would take <paramref name="substitution"/> for a pattern with that many groups; otherwise what is wrong.</summary>
    public static string? Check(string substitution, int captureGroups)
    {
        for (var i = 0; i < substitution.Length; i++)
        {
            if (substitution[i] != '\\')
            {
                continue;
            }

            if (i + 1 == substitution.Length)
            {
                return "it ends in a lone backslash; write \\\\ for a backslash";
            }

            var next = substitution[++i];
            if (next is >= '0' and <= '9')
            {
                var group = next - '0';
                if (group > captureGroups)
                {
                    return $"\\{group} names capture group {group}, but the match regex has {captureGroups}";
                }
            }
            else if (next != '\\')
            {
                return $"'\\{next}' is not a substitution; use \\0 to \\9 for capture groups and \\\\ for a backslash";
            }
        }

        return null;
    }

    /// <summary>The number of capture groups of an RE2 pattern that <see cref="Re2Syntax.Check"/> accepted.</summary>
    public static int CaptureGroupCount(string pattern) =>
        new Regex(ToDotNetPattern(pattern), RegexOptions.None, TimeSpan.FromSeconds(1)).GetGroupNumbers().Length - 1;

    /// <summary>RE2 spells named groups (?P&lt;name&gt;...); .NET knows them as (?&lt;name&gt;...).</summary>
    public static string ToDotNetPattern(string pattern) => pattern.Replace("(?P<", "(?<", StringComparison.Ordinal);

    /// <summary>The same substitution in .NET's replacement syntax (for a substitution <see cref="Check"/> accepted).</summary>
    public static string ToDotNet(string substitution)
    {
        var result = new StringBuilder(substitution.Length + 8);
        for (var i = 0; i < substitution.Length; i++)
        {
            var c = substitution[i];
            if (c == '\\' && i + 1 < substitution.Length)
            {
                var next = substitution[++i];
                if (next is >= '0' and <= '9')
                {
                    // Braces keep "\1" followed by a digit from reading as a two-digit group.
                    result.Append("${").Append(next).Append('}');
                }
                else
                {
                    result.Append(next);
                }
            }
            else if (c == '$')
            {
                result.Append("$$");
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
