using System.Net;

namespace Bookinfo.ProductPage.Rendering;

internal static class PageLayout
{
    public static string Head(string title) => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{WebUtility.HtmlEncode(title)}</title>
        <link rel="stylesheet" href="/static/bookinfo.css">
        </head>
        <body>

        """;

    public static string Tail() => """
        </body>
        </html>

        """;
}
