using System.Text.RegularExpressions;

namespace CityOps.Server.Features.Cases.Workflow;

/// <summary>
/// Text that staff write for the public: a void's reason and the closing statement become the
/// Open311 request's <c>status_notes</c> (and the void's reason its public note). It must not carry
/// a person's mobile number or identity card number; a unit's service line or landline may stay.
/// </summary>
public static partial class PublicText
{
    /// <summary>Whether the text holds something that looks like a mainland mobile number or a resident identity card number.</summary>
    public static bool HasPersonalData(string? text) => !string.IsNullOrEmpty(text) && (Mobile().IsMatch(text) || IdentityCard().IsMatch(text));

    // 1[3-9]x xxxx xxxx, written together or grouped 3-4-4 by spaces or hyphens, not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}(?![0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Mobile();

    // 17 digits and a check character (GB 11643), not inside a longer run of digits.
    [GeneratedRegex(@"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex IdentityCard();
}
