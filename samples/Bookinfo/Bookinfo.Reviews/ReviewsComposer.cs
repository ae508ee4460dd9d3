namespace Bookinfo.Reviews;

// Puts Bookinfo's two reviews together with whatever the ratings service answered.
public static class ReviewsComposer
{
    private static readonly (string Reviewer, string Text)[] s_reviews =
    [
        ("Reviewer1", "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!"),
        ("Reviewer2", "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare."),
    ];

    /// <param name="ratings">Stars by reviewer, or null when the ratings service failed or was not asked.</param>
    public static ProductReviews Compose(int productId, ReviewsSettings settings, IReadOnlyDictionary<string, int>? ratings)
    {
        var reviews = s_reviews
            .Select(review => new Review(review.Reviewer, review.Text, RatingFor(review.Reviewer, settings, ratings)))
            .ToArray();

        return new ProductReviews(
            productId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            settings.InstanceName,
            settings.ClusterName,
            reviews);
    }

    private static ReviewRating? RatingFor(string reviewer, ReviewsSettings settings, IReadOnlyDictionary<string, int>? ratings)
    {
        if (!settings.RatingsEnabled)
        {
            return null;
        }

        // Istio's reviews treats a reviewer missing from the answer like a failed call.
        return ratings is not null && ratings.TryGetValue(reviewer, out var stars)
            ? ReviewRating.FromStars(stars, settings.StarColor)
            : ReviewRating.Unavailable;
    }
}
