namespace Bookinfo.Ratings;

public interface IRatingsStore
{
    IReadOnlyDictionary<string, int> GetRatings(int productId);
}

// Istio's ratings service without a database: every product carries the same two reviewers' stars.
public sealed class InMemoryRatingsStore : IRatingsStore
{
    private static readonly IReadOnlyDictionary<string, int> s_ratings = new Dictionary<string, int>
    {
        ["Reviewer1"] = 5,
        ["Reviewer2"] = 4,
    };

    public IReadOnlyDictionary<string, int> GetRatings(int productId) => s_ratings;
}
