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
    /// +86, together or broken up by spaces, dots, dashes or brackets) or a resident identity card
    /// number (GB 11643: a real birth date and the right check character), in ASCII or full-width digits.
    /// </summary>
    public static bool HasPersonalData(string? text) => Found(text).Any();

    /// <summary>
    /// The text with every mobile and identity card number <see cref="HasPersonalData"/> finds masked
    /// (139****5679; 350***********123X): what a citizen typed into a description may be shown to the
    /// public and to staff who see no personal data, the number in it may not.
    /// </summary>
    public static string? Masked(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var found = Found(text).ToList();
        if (found.Count == 0) return text;
        var b = new StringBuilder(text.Length);
        var at = 0;
        foreach (var (index, length, digits) in found.OrderBy(f => f.Index))
        {
            if (index < at) continue;
            b.Append(text, at, index - at).Append(Mask.Phone(digits));
            at = index + length;
        }
        return b.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Where the numbers are (positions in the text as given) and their digits without separators.</summary>
    private static IEnumerable<(int Index, int Length, string Digits)> Found(string? text)
    {
        if (string.IsNullOrEmpty(text)) yield break;
        var plain = Narrow(text);
        foreach (Match m in Mobile().Matches(plain))
        {
            var digits = Digits(m.Groups["n"].Value);
            yield return (m.Groups["n"].Index, m.Groups["n"].Length, digits);
        }
        foreach (Match m in IdentityCard().Matches(plain))
        {
            var id = Digits(m.Value);
            if (IsIdentityNumber(id)) yield return (m.Index, m.Length, id);
        }
    }

    private static string Digits(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var ch in s) if (ch is >= '0' and <= '9' or 'X' or 'x') b.Append(ch);
        return b.ToString();
    }

    /// <summary>Full-width digits, letters, signs and brackets as their ASCII forms, the ideographic space as a space (the same length, so nothing shifts).</summary>
    private static string Narrow(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var ch in text) b.Append(ch is >= '\uFF01' and <= '\uFF5E' ? (char)(ch - 0xFEE0) : ch == '\u3000' ? ' ' : ch);
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

    // What people put between the digits of a number they write down: spaces, dots, hyphens and dashes, brackets.
    private const string Gap = @"[\s.\-\u2010-\u2015\u2212·()]{0,2}";

    // 1[3-9]x xxxx xxxx, together or broken up anywhere (138 0000 1234, 138.0000.1234, (138)0000-1234,
    // 1 3 8 0 0 0 0 1 2 3 4), perhaps after +86 or 86, not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])(?:\+?86" + Gap + @")?\(?(?<n>1" + Gap + @"[3-9](?:" + Gap + @"[0-9]){9})(?![0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Mobile();

    // 17 digits and a check character, together or grouped 6-8-4 by the same gaps, not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])[1-9][0-9]{5}" + Gap + @"[0-9]{8}" + Gap + @"[0-9]{3}[0-9Xx](?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex IdentityCard();
}
