using Bookinfo.ProductPage.Session;

namespace MeshDev.Tests.Bookinfo;

public sealed class SignedInUserTests
{
    [Theory]
    [InlineData("jason")]
    [InlineData("Jane Doe")]
    public void Accepts_printable_ascii_names(string name) => Assert.Null(SignedInUser.Validate(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" jason")]
    [InlineData("jas\r\non")]
    [InlineData("jäson")]
    public void Rejects_names_that_cannot_travel_as_the_end_user_header(string? name)
    {
        var problem = SignedInUser.Validate(name);

        Assert.NotNull(problem);
        Assert.Contains("'username'", problem);
    }

    [Fact]
    public void Rejects_names_longer_than_the_limit() =>
        Assert.NotNull(SignedInUser.Validate(new string('a', SignedInUser.MaxLength + 1)));
}
