using System.Globalization;
using System.Resources;

namespace CityOps.Server.Infrastructure;

/// <summary>
/// User-facing text from Resources/Messages.resx (zh-CN, the neutral language) and
/// Messages.en.resx, in the request's UI culture.
/// </summary>
public static class Messages
{
    private static readonly ResourceManager Resources =
        new("CityOps.Server.Resources.Messages", typeof(Messages).Assembly);

    public static string Get(string key) =>
        Resources.GetString(key, CultureInfo.CurrentUICulture) ?? key;

    /// <summary>The text of a key in the request's language, or null where there is none.</summary>
    public static string? Find(string key) => Resources.GetString(key, CultureInfo.CurrentUICulture);

    public static string Format(string key, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, Get(key), args);

    /// <summary>
    /// Text for the platform's staff that a member of the public caused (a citizen's report urging a
    /// case): in the platform's own language, zh-CN, whatever language the citizen's app asked for.
    /// </summary>
    public static string FormatForStaff(string key, params object?[] args) =>
        string.Format(Platform, Resources.GetString(key, Platform) ?? key, args);

    /// <summary>A text in the platform's own language, zh-CN: what is stored or sent for everyone (an automatic order's reason, a webhook's text).</summary>
    public static string GetForStaff(string key) => Resources.GetString(key, Platform) ?? key;

    /// <summary>Runs <paramref name="make"/> with the platform's language as the current one: text built for a stored record or a partner system, not for the caller.</summary>
    public static T InPlatformLanguage<T>(Func<T> make)
    {
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (Platform, Platform);
            return make();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui);
        }
    }

    private static readonly CultureInfo Platform = CultureInfo.GetCultureInfo("zh-CN");

    public static bool IsChinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.Ordinal);

    /// <summary>Two sentences as one text: after a full-width stop no space (Chinese), else one.</summary>
    public static string Join(string first, string second) =>
        first.EndsWith('。') || first.EndsWith('！') || first.EndsWith('？') ? first + second : first + " " + second;

    /// <summary>A move's name in the reader's language (批准 / Approve), or its code where it has none.</summary>
    public static string Action(string action) => Find("Ui_Action_" + action) ?? action;

    /// <summary>Picks the Chinese or English variant of a bilingual reference-data name.</summary>
    public static string Pick(string zh, string? en) => IsChinese || string.IsNullOrEmpty(en) ? zh : en;
}
