using System.Text.RegularExpressions;

namespace MeshDev.Core.Config;

/// <summary>
/// Istio hands regexes to Envoy, which compiles them with RE2: no lookaround, no backreferences, no atomic groups
/// or possessive quantifiers. A regex that .NET would take but RE2 refuses must be refused here, or it would work
/// on a developer's machine and break in a cluster.
/// </summary>
public static class Re2Syntax
{
    /// <summary>Null when RE2 takes <paramref name="pattern"/>; otherwise what is wrong.</summary>
    public static string? Check(string pattern)
    {
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[i + 1];
                if (!inClass && next is >= '1' and <= '9')
                {
                    return $"the backreference '\\{next}' at position {i} is not supported by RE2";
                }

                if (!inClass && next == 'k' && i + 2 < pattern.Length && pattern[i + 2] is '<' or '{' or '\'')
                {
                    return $"the named backreference at position {i} is not supported by RE2";
                }

                i++;
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                // A ']' right after '[' or '[^' is a literal member of the class.
                if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                {
                    i++;
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    i++;
                }

                continue;
            }

            if (c == '(' && i + 2 < pattern.Length && pattern[i + 1] == '?')
            {
                var rest = pattern[(i + 2)..];
                var construct = rest.StartsWith('=') ? "lookahead (?=" : rest.StartsWith('!') ? "negative lookahead (?!"
                    : rest.StartsWith("<=", StringComparison.Ordinal) ? "lookbehind (?<=" : rest.StartsWith("<!", StringComparison.Ordinal) ? "negative lookbehind (?<!"
                    : rest.StartsWith('>') ? "atomic group (?>" : null;
                if (construct is not null)
                {
                    return $"the {construct} at position {i} is not supported by RE2";
                }
            }

            if (c is '*' or '+' or '?' or '}' && i + 1 < pattern.Length && pattern[i + 1] == '+' && i > 0)
            {
                return $"the possessive quantifier '{c}+' at position {i} is not supported by RE2";
            }
        }

        try
        {
            // RE2 spells named groups (?P<name>...); .NET knows them as (?<name>...).
            _ = new Regex(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            return $"it is not a valid regular expression ({ex.Message})";
        }

        return null;
    }
}
