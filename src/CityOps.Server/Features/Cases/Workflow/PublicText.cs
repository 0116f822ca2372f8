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
    /// +86; together, grouped 3-4-4 by spaces, dots, dashes, slashes or brackets, or written digit by
    /// digit with spaces) or a resident identity card number (GB 11643: a real birth date and the
    /// right check character; together or grouped), in ASCII or full-width digits.
    /// </summary>
    public static bool HasPersonalData(string? text) => Found(text).Count > 0;

    /// <summary>
    /// The text with every mobile and identity card number <see cref="HasPersonalData"/> finds masked
    /// (139****5679; 350***********123X): what a citizen typed into a description may be shown to the
    /// public and to staff who see no personal data, the number in it may not. Numbers that overlap
    /// are masked as one.
    /// </summary>
    public static string? Masked(string? text)
    {
        var found = Found(text);
        if (found.Count == 0) return text;
        found.Sort((a, b) => a.Start.CompareTo(b.Start));
        var b = new StringBuilder(text!.Length);
        var at = 0;
        for (var i = 0; i < found.Count; i++)
        {
            var (start, end) = found[i];
            while (i + 1 < found.Count && found[i + 1].Start < end) end = Math.Max(end, found[++i].End);
            b.Append(text, at, start - at).Append(Mask.Phone(Digits(text.AsSpan(start, end - start))));
            at = end;
        }
        return b.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Where the numbers are: spans of the text as given.</summary>
    private static List<(int Start, int End)> Found(string? text)
    {
        var spans = new List<(int, int)>();
        // Most texts hold fewer digits than any number looked for: nothing to search.
        if (string.IsNullOrEmpty(text) || CountDigits(text) < 11) return spans;
        var plain = Narrow(text);
        foreach (Match m in Mobile().Matches(plain)) spans.Add((m.Groups["n"].Index, m.Groups["n"].Index + m.Groups["n"].Length));
        foreach (Match m in SpelledMobile().Matches(plain)) spans.Add((m.Index, m.Index + m.Length));
        foreach (Match m in IdentityCard().Matches(plain))
            if (IsIdentityNumber(Digits(m.ValueSpan))) spans.Add((m.Index, m.Index + m.Length));
        return spans;
    }

    private static int CountDigits(string text)
    {
        var n = 0;
        foreach (var ch in text) if (ch is >= '0' and <= '9' or >= '\uFF10' and <= '\uFF19') n++;
        return n;
    }

    private static string Digits(ReadOnlySpan<char> s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            var ch = c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c;
            if (ch is >= '0' and <= '9' or 'X' or 'x') b.Append(ch);
        }
        return b.ToString();
    }

    /// <summary>
    /// Full-width digits, letters, signs and brackets as their ASCII forms, the ideographic space and
    /// zero-width characters as spaces (the same length, so positions stay those of the text as given).
    /// </summary>
    private static string Narrow(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var ch in text)
            b.Append(ch switch
            {
                >= '\uFF01' and <= '\uFF5E' => (char)(ch - 0xFEE0),
                '\u3000' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' => ' ',
                _ => ch,
            });
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

    // What people put between the groups of a number they write down: spaces, dots, hyphens and
    // dashes, slashes, underscores, brackets; up to three of them ("138 - 0013 - 8000").
    private const string Gap = @"[\s.\-\u2010-\u2015\u2212·/_()]{0,3}";

    // A number is the whole run of digits: none just before or after it, nor across a dot or a dash
    // (so 192.168.10.100, 1998.10.1-1999.3 or 138-12-23-1501 are not taken for one).
    private const string Before = @"(?<![0-9][.\-\u2010-\u2015\u2212]?)";
    private const string After = @"(?![.\-\u2010-\u2015\u2212]?[0-9])";

    // 1[3-9]x xxxx xxxx, together or grouped 3-4-4 ((138)0013-8000, 138.0013.8000), perhaps after +86 or 86.
    [GeneratedRegex(Before + @"(?:\+?86" + Gap + @")?(?<n>\(?1[3-9][0-9]\)?" + Gap + @"[0-9]{4}" + Gap + @"[0-9]{4})" + After, RegexOptions.CultureInvariant)]
    private static partial Regex Mobile();

    // The same written digit by digit: 1 3 8 0 0 1 3 8 0 0 0.
    [GeneratedRegex(@"(?<![0-9] ?)1 [3-9](?: [0-9]){9}(?! ?[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex SpelledMobile();

    // 17 digits and a check character, together or grouped 6-8-4 or 6-4-4-4 by the same gaps.
    [GeneratedRegex(Before + @"[1-9][0-9]{5}" + Gap + @"[0-9]{4}" + Gap + @"[0-9]{4}" + Gap + @"[0-9]{3}[0-9Xx](?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex IdentityCard();
}
