namespace Bookinfo.ProductPage.Catalog;

// Istio's productpage sells exactly one book, product 0.
public static class ProductCatalog
{
    public static Product ComedyOfErrors { get; } = new(
        Id: 0,
        Title: "The Comedy of Errors",
        DescriptionHtml: "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: " +
            "The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is his shortest and one of his " +
            "most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, " +
            "in addition to puns and word play.");

    public static IReadOnlyList<Product> All { get; } = [ComedyOfErrors];
}
