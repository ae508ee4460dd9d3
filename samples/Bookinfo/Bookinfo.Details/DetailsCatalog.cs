namespace Bookinfo.Details;

public interface IDetailsCatalog
{
    BookDetails GetDetails(int productId);
}

// Bookinfo has one book; like Istio's details service, every product id answers with it.
public sealed class DetailsCatalog : IDetailsCatalog
{
    public BookDetails GetDetails(int productId) => new(
        Id: productId,
        Author: "William Shakespeare",
        Year: 1595,
        Type: "paperback",
        Pages: 200,
        Publisher: "PublisherA",
        Language: "English",
        Isbn10: "1234567890",
        Isbn13: "123-1234567890");
}
