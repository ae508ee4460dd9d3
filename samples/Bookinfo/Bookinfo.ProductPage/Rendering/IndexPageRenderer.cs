using System.Text;

namespace Bookinfo.ProductPage.Rendering;

public static class IndexPageRenderer
{
    public static string Render()
    {
        var html = new StringBuilder(PageLayout.Head("Simple Bookstore App"));
        html.Append("""
            <main class="container">
            <h1 class="text-primary">Hello! This is a simple bookstore application.</h1>
            <p>It consists of four services: productpage, which calls details and reviews; reviews (v1, v2 and v3),
            of which v2 and v3 call ratings.</p>
            <table class="services">
            <tr><th>Name</th><th>Endpoint</th><th>Children</th></tr>
            <tr><td>productpage</td><td>details</td><td></td></tr>
            <tr><td></td><td>reviews</td><td>ratings</td></tr>
            </table>
            <p><a href="/productpage">Open the product page</a></p>
            </main>

            """);
        html.Append(PageLayout.Tail());
        return html.ToString();
    }
}
