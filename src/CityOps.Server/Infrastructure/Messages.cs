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

    public static string Format(string key, params object?[] args) =>
        string.Format(CultureInfo.CurrentCulture, Get(key), args);

    public static bool IsChinese => CultureInfo.CurrentUICulture.Name.StartsWith("zh", StringComparison.Ordinal);

    /// <summary>Picks the Chinese or English variant of a bilingual reference-data name.</summary>
    public static string Pick(string zh, string? en) => IsChinese || string.IsNullOrEmpty(en) ? zh : en;
}
