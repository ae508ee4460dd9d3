using System.Text.RegularExpressions;
using MeshDev.Proxy.Configuration;

namespace MeshDev.Proxy.Routing;

/// <summary>
/// The regular expressions of one snapshot, compiled once. A new snapshot takes over the instances of the patterns it
/// keeps, so a push that changes one route does not recompile every expression in every table.
/// </summary>
public sealed class RegexCache
{
    public static readonly RegexCache Empty = new(null);

    private readonly Dictionary<(string Pattern, bool IgnoreCase), Regex> _compiled = [];
    // Only the previous snapshot's own expressions, not its cache, so that caches do not chain across pushes.
    private readonly Dictionary<(string Pattern, bool IgnoreCase), Regex>? _previous;

    public RegexCache(RegexCache? previous) => _previous = previous?._compiled;

    public int Count => _compiled.Count;

    /// <param name="where">Where the pattern sits in the snapshot, for the NACK reason.</param>
    /// <exception cref="InvalidSnapshotException">The pattern is not a valid expression.</exception>
    public Regex Get(string pattern, bool ignoreCase, string where)
    {
        var key = (pattern, ignoreCase);
        if (_compiled.TryGetValue(key, out var regex))
        {
            return regex;
        }

        if (_previous is null || !_previous.TryGetValue(key, out regex))
        {
            regex = Compile(pattern, ignoreCase, where);
        }

        _compiled[key] = regex;
        return regex;
    }

    private static Regex Compile(string pattern, bool ignoreCase, string where)
    {
        // Envoy matches the whole value; the non-backtracking engine keeps matching linear like RE2 and, like RE2,
        // refuses backreferences and lookarounds.
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            return new Regex($"^(?:{pattern})$", options, TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new InvalidSnapshotException($"{where}: regex '{pattern}' does not compile: {e.Message}");
        }
    }
}
