using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
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
        var console = ConsoleLines.GetValue(page, _ => new ConcurrentQueue<string>());
        page.Console += (_, m) => { if (m.Type is "error" or "warning") console.Enqueue($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => console.Enqueue("page error: " + e);
        page.SetDefaultTimeout(30_000);
        page.SetDefaultNavigationTimeout(60_000);
        await page.GotoAsync("login");
        await page.GetByTestId("email").FillAsync($"{login}@demo.cityops");
        await page.GetByTestId("password").FillAsync("Demo-2026!");
        await page.GetByTestId("sign-in").ClickAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(new Regex("/login"), new() { Timeout = 60_000 }); // polled, as in ArrivesAtAsync
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        return page;
    }

    /// <summary>Waits until the interactive circuit is up, so clicks reach the server.</summary>
    public static Task ReadyAsync(this IPage page) =>
        page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>The browser console's errors and warnings of each page signed in here.</summary>
    private static readonly ConditionalWeakTable<IPage, ConcurrentQueue<string>> ConsoleLines = new();

    /// <summary>
    /// Waits until the page is at <paramref name="url"/>; if it never gets there, fails saying what
    /// the page showed instead (its alerts, the console's errors) and keeps a screenshot.
    /// </summary>
    public static async Task ArrivesAtAsync(this IPage page, Regex url, string what)
    {
        try
        {
            // Polled rather than WaitForURLAsync: that one checks the address and then subscribes to
            // navigation events, so a client-side navigation landing in between is never seen (and with
            // the address already matching it waits for `load` whatever WaitUntil says).
            await Assertions.Expect(page).ToHaveURLAsync(url, new() { Timeout = 60_000 });
        }
        catch (PlaywrightException)
        {
            await page.ShotAsync("failed-" + what);
            var alerts = await page.GetByRole(AriaRole.Alert).AllInnerTextsAsync();
            var console = ConsoleLines.TryGetValue(page, out var lines) ? lines.TakeLast(20) : [];
            throw new TimeoutException($"{what}: still at {page.Url}; alerts: [{string.Join(" | ", alerts)}]; console: [{string.Join(" | ", console)}]; screenshot failed-{what}.png");
        }
    }

    public static Task ShotAsync(this IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Artefacts, name + ".png"), FullPage = true });
}
