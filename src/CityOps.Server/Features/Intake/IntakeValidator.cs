using System.Text.RegularExpressions;
using CityOps.Server.Data;
using CityOps.Server.Features.Categories;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Intake;

/// <summary>Every rule a report must pass before anything is written. Pure.</summary>
public static partial class IntakeValidator
{
    public const int MaxDescription = 4000;
    /// <summary>The most photo links one report may carry.</summary>
    public const int MaxMediaUrls = 10;

    public static List<IntakeError> Validate(IntakeRequest r, ReferenceData reference, out Category? category)
    {
        var errors = new List<IntakeError>();
        category = null;
        if (string.IsNullOrWhiteSpace(r.ServiceCode))
            errors.Add(new("service_code", Messages.Get("ServiceCodeRequired")));
        else if (!reference.CategoriesByCode.TryGetValue(r.ServiceCode.Trim(), out category) || !category.Active)
            errors.Add(new("service_code", Messages.Format("ServiceCodeUnknown", Clip(r.ServiceCode))));

        if (category is not null && !string.IsNullOrEmpty(r.ConditionCode) && category.Conditions.All(c => c.Code != r.ConditionCode))
            errors.Add(new("condition", Messages.Format("ConditionUnknown", Clip(r.ConditionCode))));

        if (r.Lat is null != r.Lon is null)
            errors.Add(new("lat", Messages.Get("LatLongTogether")));
        else if (r.Lat is { } lat && r.Lon is { } lon && (!double.IsFinite(lat) || !double.IsFinite(lon) || lat is < -90 or > 90 || lon is < -180 or > 180))
            errors.Add(new("lat", Messages.Get("CoordinatesInvalid")));
        if (r.Lat is null && string.IsNullOrWhiteSpace(r.Address))
            errors.Add(new("address_string", Messages.Get("LocationRequired")));

        Text(errors, "description", r.Description, MaxDescription);
        Text(errors, "address_string", r.Address, 500);
        Text(errors, "name", r.ReporterName, 100);
        Text(errors, "email", r.ReporterEmail, 200);
        Text(errors, "device_id", r.DeviceId, 200);
        Text(errors, "account_id", r.AccountId, 200);
        Text(errors, "external_id", r.ExternalId, 128);
        if (!string.IsNullOrEmpty(r.ReporterPhone) && !PhonePattern().IsMatch(r.ReporterPhone))
            errors.Add(new("phone", Messages.Get("PhoneInvalid")));
        if (!string.IsNullOrEmpty(r.ReporterEmail) && !EmailPattern().IsMatch(r.ReporterEmail))
            errors.Add(new("email", Messages.Get("EmailInvalid")));
        if (r.MediaUrls.Count > MaxMediaUrls)
            errors.Add(new("media_url", Messages.Format("TooManyPhotos", MaxMediaUrls)));
        foreach (var url in r.MediaUrls)
            if (url is null || url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttps && u.Scheme != Uri.UriSchemeHttp))
                errors.Add(new("media_url", Messages.Get("MediaUrlInvalid")));
        if (r.Attributes.Count > 50)
            errors.Add(new("attribute", Messages.Get("TooManyAttributes")));
        foreach (var (k, v) in r.Attributes)
        {
            Text(errors, "attribute", k, 100);
            Text(errors, "attribute", v, 1000);
        }
        return errors;
    }

    /// <summary>
    /// Text is stored as text and never interpreted, so markup and SQL are harmless; what is refused
    /// is what no database column can hold faithfully: control characters and broken UTF-16.
    /// </summary>
    public static void Text(List<IntakeError> errors, string field, string? value, int max)
    {
        if (value is null) return;
        if (value.Length > max)
        {
            errors.Add(new(field, Messages.Format("TextTooLong", max)));
            return;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; continue; }
            // U+FFFD is what a decoder leaves of bytes that were not valid UTF-8.
            if (char.IsSurrogate(c) || c == '\uFFFD' || (char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            {
                errors.Add(new(field, Messages.Get("TextInvalidCharacters")));
                return;
            }
        }
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;

    [GeneratedRegex(@"^\+?[0-9][0-9 \-]{2,19}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
