using MeshDev.Core.Config;

namespace MeshDev.Tests.Config;

/// <summary>
/// Every file under Config/Broken is a config a user could plausibly write that MeshDev must refuse. Each says
/// in its header what the message must contain (# expect:) and which field it must name (# field:).
/// </summary>
public sealed class BrokenConfigTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Config", "Broken");

    public static TheoryData<string> BrokenFiles => new(Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName).Order()!);

    [Fact]
    public void TheCorpus_HasAtLeastFortyDocuments() => Assert.True(BrokenFiles.Count >= 40, $"only {BrokenFiles.Count} broken documents");

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void BrokenDocument_IsRefusedNamingTheFieldAndLine(string file)
    {
        var text = File.ReadAllText(Path.Combine(Folder, file));
        var expect = Header(text, "expect");
        var field = Header(text, "field");

        var parsed = ConfigParser.Parse(text, file);
        var messages = parsed.HasErrors ? parsed.Messages : ConfigValidator.Validate(parsed.Resources, ConfigTestData.BookinfoServices);

        var errors = messages.Where(m => m.IsError).ToList();
        Assert.True(errors.Count > 0, $"{file} was accepted");
        var error = errors.FirstOrDefault(m => m.Message.Contains(expect, StringComparison.Ordinal) && m.Field == field);
        Assert.True(error is not null, $"{file}: no error on '{field}' containing '{expect}'; got:\n{string.Join("\n", errors)}");
        Assert.Equal(file, error.Source);
        Assert.NotNull(error.Line);
        Assert.True(error.Line > 2, $"{file}: line {error.Line} points into the header comments");
        // The line holds the field's name, or for a missing field its parent's (or, for a list item, its dash).
        var lineText = text.Split('\n')[error.Line!.Value - 1];
        var names = field.Split('.', '[').Select(n => n.TrimEnd(']')).Where(n => !n.All(char.IsDigit)).TakeLast(2).ToList();
        Assert.True(names.Any(n => lineText.Contains(n, StringComparison.Ordinal)) || lineText.TrimStart().StartsWith('-'),
            $"{file}: line {error.Line} '{lineText}' shows none of {string.Join(", ", names)}");
    }

    private static string Header(string text, string name) =>
        text.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith($"# {name}:", StringComparison.Ordinal))[$"# {name}:".Length..].Trim();
}
