using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ResistanceBot.BotApiEmulator;

/// <summary>An error answered in the Bot API's envelope; the HTTP status equals the error code.</summary>
internal sealed class ApiException(int code, string description, int? retryAfter = null) : Exception(description)
{
    public int Code { get; } = code;
    public string Description { get; } = description;
    public int? RetryAfter { get; } = retryAfter;

    public static ApiException BadRequest(string detail) => new(400, "Bad Request: " + detail);

    public static ApiException Forbidden(string detail) => new(403, "Forbidden: " + detail);

    public static ApiException TooManyRequests(int seconds) => new(429, $"Too Many Requests: retry after {seconds}", seconds);
}

/// <summary>
/// The parameters of one call, merged from the query string, a form, a JSON object or multipart parts, as the real server does
/// (reference §1.2): a JSON string value is kept as text, any other JSON value as its raw JSON.
/// </summary>
internal sealed class ApiRequest
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IFormFile> _files = new(StringComparer.Ordinal);

    public static async Task<ApiRequest> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        var request = new ApiRequest();
        foreach (var (key, value) in http.Query)
        {
            request._values[key] = value.ToString();
        }

        var contentType = http.ContentType ?? "";
        if (http.HasFormContentType)
        {
            var form = await http.ReadFormAsync(ct);
            foreach (var (key, value) in form)
            {
                request._values[key] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                request._files[file.Name] = file;
            }
        }
        else if (http.ContentLength is > 0 || contentType.Length > 0)
        {
            try
            {
                var node = await JsonNode.ParseAsync(http.Body, cancellationToken: ct);
                if (node is JsonObject obj)
                {
                    foreach (var (key, value) in obj)
                    {
                        if (value is null)
                        {
                            continue;
                        }

                        request._values[key] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                    }
                }
            }
            catch (JsonException)
            {
                // The real server only logs a body it cannot parse and goes on with what it has.
            }
        }

        return request;
    }

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public long? Long(string name) =>
        String(name) is { } v && long.TryParse(v.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    public int Int(string name, int fallback, int min, int max) =>
        Long(name) is { } n ? (int)Math.Clamp(n, min, max) : fallback;

    /// <summary>"true", "yes" and "1" in any case are true (Telegram.Bot sends "True" in multipart).</summary>
    public bool Bool(string name) => String(name)?.Trim().ToLowerInvariant() is "true" or "yes" or "1";

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>A nested object or array, sent as JSON or as a JSON-encoded string.</summary>
    public JsonNode? Json(string name, string parseError)
    {
        if (String(name) is not { } raw || raw.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest(parseError);
        }
    }

    /// <summary>An uploaded file: the part named after the parameter, or the part named by "attach://name".</summary>
    public IFormFile? File(string name)
    {
        if (String(name) is { } v && v.StartsWith("attach://", StringComparison.Ordinal))
        {
            return _files.GetValueOrDefault(v["attach://".Length..]);
        }

        return _files.GetValueOrDefault(name);
    }
}
