namespace Bookinfo.Details;

/// <summary>
/// A details instance that fails on purpose, the way Istio's ratings sample has its v-faulty and v-unavailable
/// versions: <c>FAILURE_PERCENT</c> (0–100) of the /details requests are answered 503. Failures are spread evenly
/// (with 30, three of every ten requests fail, never two in a row) rather than drawn at random, so an instance
/// fails exactly the share it is configured for and demonstrations of retries and outlier detection read the same
/// on every run. The health endpoint is never failed: the instance is up, only its answers are bad.
/// </summary>
public sealed class FailureInjection(int percent)
{
    private long _requests;

    public int Percent { get; } = percent is >= 0 and <= 100
        ? percent
        : throw new ArgumentOutOfRangeException(nameof(percent), percent, "FAILURE_PERCENT must be between 0 and 100.");

    public static FailureInjection FromConfiguration(IConfiguration configuration)
    {
        var value = configuration["FAILURE_PERCENT"];
        if (string.IsNullOrEmpty(value))
        {
            return new FailureInjection(0);
        }
        return int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100
            ? new FailureInjection(percent)
            : throw new InvalidOperationException($"FAILURE_PERCENT is '{value}'; it must be a whole number from 0 to 100.");
    }

    /// <summary>Whether the next request fails: request n fails when floor(n·p/100) steps up.</summary>
    public bool NextFails()
    {
        var n = Interlocked.Increment(ref _requests);
        return n * Percent / 100 > (n - 1) * Percent / 100;
    }
}
