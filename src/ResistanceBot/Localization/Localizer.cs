using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using ResistanceBot.Telegram;

namespace ResistanceBot.Localization;

/// <summary>
/// Reader-facing strings in en, ru and uk, from Localization/{lang}.json (embedded). Strings are Telegram HTML;
/// arguments are escaped unless they are <see cref="HtmlFragment"/>s.
/// </summary>
internal sealed class Localizer
{
    public const string Default = "en";

    /// <summary>The languages a reader can choose, with their own names.</summary>
    public static readonly IReadOnlyList<(string Code, string Name)> Languages = [("en", "English"), ("ru", "Русский"), ("uk", "Українська")];

    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _strings;

    public Localizer()
    {
        _strings = Languages.ToFrozenDictionary(l => l.Code, l => Load(l.Code), StringComparer.Ordinal);
    }

    internal static FrozenDictionary<string, string> Load(string language)
    {
        var assembly = typeof(Localizer).Assembly;
        using var stream = assembly.GetManifestResourceStream($"ResistanceBot.Localization.{language}.json")
            ?? throw new InvalidOperationException($"No strings for language '{language}'.");
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(stream)
            ?? throw new InvalidOperationException($"Strings for '{language}' are empty.");
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>en, ru or uk from a Telegram language code such as "ru-RU"; anything else is English.</summary>
    public static string Pick(string? languageCode)
    {
        if (string.IsNullOrEmpty(languageCode))
        {
            return Default;
        }

        var primary = languageCode.Split('-', '_')[0].ToLowerInvariant();
        return IsSupported(primary) ? primary : Default;
    }

    public static bool IsSupported(string language) => Languages.Any(l => l.Code == language);

    public string this[string language, string key] => Get(language, key);

    public string Get(string language, string key) => Lookup(language, key).Template;

    /// <summary>Formats a string with its arguments HTML-escaped.</summary>
    public string Format(string language, string key, params object?[] args)
    {
        var escaped = args.Select(a => a switch
        {
            HtmlFragment f => f.Value,
            IFormattable f => Html.Escape(f.ToString(null, CultureInfo.InvariantCulture)),
            _ => Html.Escape(a?.ToString()),
        }).ToArray<object?>();

        // The plural rules are those of the language the string was found in (English, when a string falls back to it).
        var (found, template) = Lookup(language, key);
        return string.Format(CultureInfo.InvariantCulture, Plurals.Resolve(found, template, args), escaped);
    }

    /// <summary>A string in every language, one after another: for a chat whose language the bot does not keep (a tipster's nudge).</summary>
    public string InEvery(string key, params object?[] args) => string.Join("\n\n", Languages.Select(l => Format(l.Code, key, args)));

    /// <summary>The string in this language, or else in English, with the language it was found in.</summary>
    private (string Language, string Template) Lookup(string language, string key)
    {
        if (_strings.TryGetValue(language, out var map) && map.TryGetValue(key, out var value))
        {
            return (language, value);
        }

        return _strings[Default].TryGetValue(key, out var fallback) ? (Default, fallback) : throw new KeyNotFoundException($"No string '{key}'.");
    }

    internal IReadOnlyDictionary<string, string> All(string language) => _strings[language];
}
