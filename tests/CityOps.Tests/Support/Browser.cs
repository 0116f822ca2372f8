using Microsoft.Playwright;

namespace CityOps.Tests.Support;

/// <summary>Browser tests run by themselves, after the rest: a loaded machine makes page loads crawl.</summary>
[CollectionDefinition("browser", DisableParallelization = true)]
public sealed class BrowserCollection;

/// <summary>
/// Debian's Chromium driven by Playwright (its own browser download is not used). Tests that need
/// it report themselves skipped where it is not installed; <c>.ci/run</c> installs it.
/// </summary>
public static class Browser
{
    public static string? Executable =>
        Environment.GetEnvironmentVariable("CITYOPS_CHROMIUM") is { Length: > 0 } given ? given
        : File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;

    /// <summary>Screenshots of the main pages land here (kept as test artefacts).</summary>
    public static string Artefacts
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("CITYOPS_SCREENSHOTS") is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var exe = Executable;
        if (exe is null) Assert.Skip("Chromium is not installed (apt-get install chromium, or set CITYOPS_CHROMIUM)");
        // Two cores run the server, the database, the browser and the tests: give each expectation time.
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = exe,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        });
        return (playwright, browser);
    }

    /// <summary>A fresh browser context (its own cookies) signed in through the sign-in page.</summary>
    public static async Task<IPage> SignInAsync(this IBrowser browser, Uri baseUrl, string login, int width = 1366, int height = 900)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl.ToString(), ViewportSize = new() { Width = width, Height = height }, Locale = "zh-CN" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.SetDefaultNavigationTimeout(60_000);
        await page.GotoAsync("login");
        await page.GetByTestId("email").FillAsync($"{login}@demo.cityops");
        await page.GetByTestId("password").FillAsync("Demo-2026!");
        await page.GetByTestId("sign-in").ClickAsync();
        await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        return page;
    }

    /// <summary>Waits until the interactive circuit is up, so clicks reach the server.</summary>
    public static Task ReadyAsync(this IPage page) =>
        page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    public static Task ShotAsync(this IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Artefacts, name + ".png"), FullPage = true });
}
