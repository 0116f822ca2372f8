using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;

namespace CityOps.Server.Features.Intake.Open311;

/// <summary>
/// Open311 answers in JSON or XML, chosen by the path suffix. Responses are built once as a JSON
/// tree; XML is written from the same tree with the GeoReport v2 element names (a list's items
/// take the singular of its name).
/// </summary>
public static class Open311Format
{
    private static readonly Dictionary<string, string> Singular = new()
    {
        ["services"] = "service", ["service_requests"] = "request", ["attributes"] = "attribute", ["values"] = "value",
        ["notes"] = "note", ["endpoints"] = "endpoint", ["formats"] = "format", ["errors"] = "error",
    };

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool TryParse(string? format, out bool xml)
    {
        xml = string.Equals(format, "xml", StringComparison.OrdinalIgnoreCase);
        return xml || string.Equals(format, "json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Writes <paramref name="body"/>; <paramref name="root"/> names the XML root (services, service_requests …).</summary>
    public static IResult Result(JsonNode body, string root, bool xml, int status = 200) => xml
        ? Results.Text(ToXml(body, root), "text/xml; charset=utf-8", Encoding.UTF8, status)
        : Results.Text(body.ToJsonString(Json), "application/json; charset=utf-8", Encoding.UTF8, status);

    public static string ToXml(JsonNode body, string root)
    {
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = false }))
        {
            w.WriteStartDocument();
            Write(w, root, body);
            w.WriteEndDocument();
        }
        // StringBuilder makes XmlWriter declare utf-16; the bytes we send are UTF-8.
        return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
    }

    private static void Write(XmlWriter w, string name, JsonNode? node)
    {
        w.WriteStartElement(name);
        switch (node)
        {
            case JsonArray array:
                var item = Singular.GetValueOrDefault(name, "item");
                foreach (var child in array) Write(w, item, child);
                break;
            case JsonObject obj:
                foreach (var (key, child) in obj) Write(w, key, child);
                break;
            case JsonValue value:
                w.WriteString(XmlText(Scalar(value)));
                break;
        }
        w.WriteEndElement();
    }

    private static string Scalar(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => v.TryGetValue<double>(out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : v.ToJsonString(),
        _ => v.GetValue<string>(),
    };

    /// <summary>
    /// Text that XML 1.0 cannot carry (U+FFFE, U+FFFF, most controls, broken surrogate pairs) —
    /// stored or echoed from a request — is replaced by U+FFFD, so the document stays well-formed.
    /// </summary>
    private static string XmlText(string s)
    {
        var i = 0;
        for (; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i])) continue;
            if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i])) { i++; continue; }
            break;
        }
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length);
        for (i = 0; i < s.Length; i++)
        {
            if (XmlConvert.IsXmlChar(s[i])) sb.Append(s[i]);
            else if (i + 1 < s.Length && XmlConvert.IsXmlSurrogatePair(s[i + 1], s[i])) sb.Append(s[i]).Append(s[++i]);
            else sb.Append('\uFFFD');
        }
        return sb.ToString();
    }

    /// <summary>W3C date-time in the city's zone, as GeoReport v2 shows times.</summary>
    public static string Time(DateTimeOffset t, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
