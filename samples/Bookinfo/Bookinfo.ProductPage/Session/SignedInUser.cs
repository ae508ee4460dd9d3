namespace Bookinfo.ProductPage.Session;

// Istio's productpage has no accounts: signing in just remembers a name in the "user" cookie, and the
// name travels to the other services as the end-user header that mesh routing rules match on.
public static class SignedInUser
{
    public const string CookieName = "user";
    public const int MaxLength = 64;

    public static string? Read(HttpRequest request) =>
        request.Cookies[CookieName] is { } name && Validate(name) is null ? name : null;

    public static void SignIn(HttpResponse response, string name) =>
        response.Cookies.Append(CookieName, name, CookieOptions());

    public static void SignOut(HttpResponse response) =>
        response.Cookies.Delete(CookieName, CookieOptions());

    /// <returns>Null when the name is acceptable, otherwise what is wrong with it.</returns>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "form field 'username' is required.";
        }

        // The name becomes an HTTP header value, so only printable ASCII without surrounding spaces is accepted.
        if (name.Length > MaxLength || name != name.Trim() || name.Any(c => c is < ' ' or > '~'))
        {
            return $"form field 'username' must be 1 to {MaxLength} printable ASCII characters without leading or trailing spaces.";
        }

        return null;
    }

    private static CookieOptions CookieOptions() => new()
    {
        Path = "/",
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
    };
}
