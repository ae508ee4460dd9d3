using System.Text.RegularExpressions;

namespace MeshDev.Tests.EndToEnd;

/// <summary>What a Bookinfo product page shows: which reviews instance served it and the colours of its stars.</summary>
public sealed partial record BookinfoPage(string ServedBy, IReadOnlySet<string> StarColors, int StarCount)
{
    public static BookinfoPage Parse(string html)
    {
        var page = TryParse(html);
        Assert.True(page is not null, $"The page does not say which reviews instance served it:\n{html}");
        return page;
    }

    /// <summary>
    /// The page, or null when it has no reviews line: productpage shows "reviews unavailable" when its own call to
    /// reviews times out, which a loaded machine can cause without anything in the mesh being wrong.
    /// </summary>
    public static BookinfoPage? TryParse(string html)
    {
        var servedBy = ServedByPattern().Match(html);
        if (!servedBy.Success)
        {
            return null;
        }

        var colors = StarPattern().Matches(html).Select(match => match.Groups[1].Value).ToList();
        return new BookinfoPage(servedBy.Groups[1].Value, colors.ToHashSet(), colors.Count);
    }

    [GeneratedRegex(@"Reviews served by:\s*(?:<[^>]+>\s*)*(reviews-v[0-9]+)")]
    private static partial Regex ServedByPattern();

    [GeneratedRegex("data-star-color=\"([a-z]+)\"")]
    private static partial Regex StarPattern();
}
