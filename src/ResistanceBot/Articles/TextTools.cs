using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AngleSharp.Html.Parser;

namespace ResistanceBot.Articles;

/// <summary>Plain text from outside HTML (feed titles and summaries, page metadata), read with a real HTML parser.</summary>
internal static class PlainText
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = false });

    /// <summary>The visible text of an HTML fragment: scripts and styles dropped, entities decoded, white space collapsed.</summary>
    public static string FromHtml(string? html)
    {
        if (string.IsNullOrWhiteSpace(html))
        {
            return "";
        }

        if (html.AsSpan().IndexOfAny("<&") < 0)
        {
            return Collapse(html);
        }

        using var document = Parser.ParseDocument("<body>" + html + "</body>");
        foreach (var element in document.QuerySelectorAll("script, style, noscript, template").ToList())
        {
            element.Remove();
        }

        // Block elements end with a space so that "<p>a</p><p>b</p>" does not read "ab".
        foreach (var block in document.QuerySelectorAll("p, div, br, li, h1, h2, h3, h4, h5, h6, blockquote, tr").ToList())
        {
            block.After(document.CreateTextNode(" "));
        }

        return Collapse(document.Body?.TextContent ?? "");
    }

    /// <summary>One space for any run of white space (and of invisible direction marks at the ends), trimmed.</summary>
    public static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Cuts at a word boundary to at most <paramref name="max"/> UTF-16 units, ending with "…"; never splits a surrogate pair.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = max - 1;
        var space = text.LastIndexOf(' ', end);
        if (space > max / 2)
        {
            end = space;
        }

        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return text[..end].TrimEnd(' ', ',', ';', ':', '-', '—') + "…";
    }
}

/// <summary>One article however it is linked: tracking parameters, fragments, "www." and the scheme do not make a new one.</summary>
internal static class CanonicalUrl
{
    private static readonly string[] TrackingPrefixes = ["utm_", "mc_", "_hs", "pk_", "mtm_"];

    private static readonly HashSet<string> TrackingNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "fbclid", "gclid", "dclid", "yclid", "msclkid", "igshid", "ref", "ref_src", "ref_url", "_ga", "_gl", "spm", "cmpid", "ocid", "rss", "from", "utm",
    };

    /// <summary>An absolute http(s) URL without tracking; null for anything else (javascript:, data:, relative junk).</summary>
    public static Uri? Normalize(string? url, Uri? baseUri = null)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        url = url.Trim();
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            if (baseUri is null || !Uri.TryCreate(baseUri, url, out uri) || uri.Scheme is not ("http" or "https"))
            {
                return null;
            }
        }

        var query = uri.Query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !IsTracking(p.Split('=', 2)[0]))
            .ToList();
        var builder = new UriBuilder(uri)
        {
            Host = uri.Host.ToLowerInvariant(),
            Fragment = "",
            Query = string.Join('&', query),
        };
        if (uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        return builder.Uri;
    }

    private static bool IsTracking(string name) =>
        TrackingNames.Contains(name) || TrackingPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The dedupe key: host without "www.", path without a trailing slash, query; no scheme.</summary>
    public static string Key(Uri canonical)
    {
        var host = canonical.Host.StartsWith("www.", StringComparison.Ordinal) ? canonical.Host[4..] : canonical.Host;
        var path = canonical.AbsolutePath.Length > 1 ? canonical.AbsolutePath.TrimEnd('/') : "";
        return Hash(host + path + canonical.Query);
    }

    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>Dates as feeds really write them: RFC 822 with or without seconds or day names, zone names, ISO 8601, garbage.</summary>
internal static class FeedDates
{
    private static readonly Dictionary<string, string> Zones = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GMT"] = "+00:00",
        ["UT"] = "+00:00",
        ["UTC"] = "+00:00",
        ["Z"] = "+00:00",
        ["EST"] = "-05:00",
        ["EDT"] = "-04:00",
        ["CST"] = "-06:00",
        ["CDT"] = "-05:00",
        ["MST"] = "-07:00",
        ["MDT"] = "-06:00",
        ["PST"] = "-08:00",
        ["PDT"] = "-07:00",
        ["MSK"] = "+03:00",
        ["EET"] = "+02:00",
        ["EEST"] = "+03:00",
        ["CET"] = "+01:00",
        ["CEST"] = "+02:00",
        ["BST"] = "+01:00",
    };

    private static readonly string[] Formats =
    [
        "d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm zzz", "d MMM yy HH:mm:ss zzz", "d MMM yy HH:mm zzz",
        "d MMMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm:ss", "d MMM yyyy", "yyyy-MM-dd HH:mm:ss zzz", "yyyy-MM-dd HH:mm:ss",
    ];

    /// <summary>Null when the text is not a date, or is more than a day in the future (a wrong clock or a typo).</summary>
    public static DateTimeOffset? Parse(string? text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var s = PlainText.Collapse(text);
        var comma = s.IndexOf(',', StringComparison.Ordinal);
        if (comma is > 0 and <= 10 && s[..comma].All(char.IsLetter))
        {
            s = s[(comma + 1)..].Trim(); // day names are often wrong and say nothing
        }

        var parts = s.Split(' ');
        if (parts.Length > 1 && Zones.TryGetValue(parts[^1], out var offset))
        {
            s = string.Join(' ', parts[..^1]) + " " + offset;
        }
        else if (parts.Length > 1 && parts[^1].Length == 5 && parts[^1][0] is '+' or '-' && parts[^1][1..].All(char.IsAsciiDigit))
        {
            s = string.Join(' ', parts[..^1]) + " " + parts[^1][..3] + ":" + parts[^1][3..];
        }

        DateTimeOffset value;
        if (!DateTimeOffset.TryParseExact(s, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out value)
            && !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out value))
        {
            return null;
        }

        return value > now.AddDays(1) || value.Year < 1995 ? null : value;
    }
}
