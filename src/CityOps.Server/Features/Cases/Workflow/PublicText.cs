using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>
/// Text that staff write for the public: a void's reason and the closing statement become the
/// Open311 request's <c>status_notes</c> (and the void's reason its public note). It must not carry
/// a person's mobile number or identity card number; a unit's service line or landline may stay.
/// </summary>
public static partial class PublicText
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";

    /// <summary>
    /// Whether the text holds something that looks like a mainland mobile number (with or without
    /// +86, together or grouped 3-4-4) or a resident identity card number (GB 11643: a real birth
    /// date and the right check character), in ASCII or full-width digits.
    /// </summary>
    public static bool HasPersonalData(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        var plain = Narrow(text);
        if (Mobile().IsMatch(plain)) return true;
        foreach (Match m in IdentityCard().Matches(plain))
            if (IsIdentityNumber(m.Value.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal))) return true;
        return false;
    }

    /// <summary>Full-width digits, letters, plus and hyphen as their ASCII forms (the same length, so nothing shifts).</summary>
    private static string Narrow(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var ch in text) b.Append(ch is >= '\uFF01' and <= '\uFF5E' ? (char)(ch - 0xFEE0) : ch);
        return b.ToString();
    }

    private static bool IsIdentityNumber(string id)
    {
        if (id.Length != 18) return false;
        if (!DateOnly.TryParseExact(id.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born) || born.Year < 1900) return false;
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += (id[i] - '0') * Weights[i];
        return char.ToUpperInvariant(id[17]) == CheckCharacters[sum % 11];
    }

    // 1[3-9]x xxxx xxxx, together or grouped 3-4-4 by spaces or hyphens, perhaps after +86 or 86, not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])(?:\+?86[ \-]?)?1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}(?![0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Mobile();

    // 17 digits and a check character, together or grouped 6-8-4 by spaces or hyphens, not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])[1-9][0-9]{5}[ \-]?[0-9]{8}[ \-]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex IdentityCard();
}
