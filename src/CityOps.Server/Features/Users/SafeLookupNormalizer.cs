using Microsoft.AspNetCore.Identity;

namespace CityOps.Server.Features.Users;

/// <summary>
/// Identity's normalizer (Unicode normalization, then upper case), except that a name or e-mail
/// that cannot be normalized (U+FFFE and other noncharacters make ICU throw) is upper-cased as it
/// is: it then simply matches no account, instead of failing the sign-in with a 500.
/// </summary>
public sealed class SafeLookupNormalizer : ILookupNormalizer
{
    public string? NormalizeName(string? name) => Normalize(name);

    public string? NormalizeEmail(string? email) => Normalize(email);

    private static string? Normalize(string? key)
    {
        if (key is null) return null;
        try
        {
            return key.Normalize().ToUpperInvariant();
        }
        catch (ArgumentException)
        {
            return key.ToUpperInvariant();
        }
    }
}
