using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MeshDev.Tests.Dashboard;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by test.sh), driven headless by Playwright. Playwright's own
/// browser download is never used: the machine's browser is the one under test.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium has not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"{ExecutablePath} is missing: the browser tests drive Debian's Chromium. Run ./test.sh, which installs it, or 'apt-get install -y chromium'.");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh page (own cookies and storage) whose relative URLs resolve against <paramref name="baseUrl"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseUrl)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = baseUrl.ToString(),
            ViewportSize = new() { Width = 1440, Height = 900 },
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// A fresh page logged in as a user is: it opens the login link (<c>/login?t=&lt;token&gt;</c>, from the Aspire dashboard or
    /// meshctl dashboard) and lands on the dashboard with its cookie; relative URLs resolve against the link's origin.
    /// </summary>
    public async Task<IPage> LoggedInPageAsync(Uri loginLink)
    {
        var origin = new Uri(loginLink.GetLeftPart(UriPartial.Authority));
        var page = await NewPageAsync(origin);
        await page.GotoAsync(loginLink.ToString());
        // Committed is enough: what the caller checks next waits for its own elements.
        await page.WaitForURLAsync(new Uri(origin, "/").ToString(), new() { WaitUntil = WaitUntilState.Commit });
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>Screenshots the tests keep: &lt;test output&gt;/artifacts/&lt;name&gt;.png, its path printed to the test's output.</summary>
public static class TestArtifacts
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts");

    public static async Task<string> ScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        return path;
    }
}
