namespace Bookinfo.Reviews.Ratings;

public interface IRatingsClient
{
    /// <returns>Stars by reviewer, or null when the ratings service did not answer in time or failed.</returns>
    Task<IReadOnlyDictionary<string, int>?> GetRatingsAsync(int productId, PropagatedHeaders headers, CancellationToken cancellationToken);
}
