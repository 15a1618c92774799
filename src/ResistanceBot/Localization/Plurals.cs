using System.Globalization;
using System.Text;

namespace ResistanceBot.Localization;

/// <summary>CLDR plural categories, for the languages the bot speaks.</summary>
internal enum PluralCategory
{
    One,
    Few,
    Many,
    Other,
}

/// <summary>
/// Counts in strings, written as ICU MessageFormat writes them, so that translators meet a syntax they know:
/// <c>{0, plural, one {# part} other {# parts}}</c>, where <c>#</c> is the count. The category of a count follows the CLDR
/// rules (unicode.org/cldr, "Language Plural Rules") for whole numbers: English has one and other; Russian and Ukrainian have
/// one (1, 21, 101…), few (2–4, 22–24…) and many (0, 5–20, 25–30…).
/// </summary>
internal static class Plurals
{
    private const string Marker = ", plural,";

    /// <summary>The categories each language's plural strings must give.</summary>
    public static IReadOnlyList<PluralCategory> CategoriesOf(string language) => language is "ru" or "uk"
        ? [PluralCategory.One, PluralCategory.Few, PluralCategory.Many]
        : [PluralCategory.One, PluralCategory.Other];

    public static PluralCategory Of(string language, long n)
    {
        n = Math.Abs(n);
        if (language is "ru" or "uk")
        {
            var (units, tens) = (n % 10, n % 100);
            return units == 1 && tens != 11 ? PluralCategory.One
                : units is >= 2 and <= 4 && tens is < 12 or > 14 ? PluralCategory.Few
                : PluralCategory.Many;
        }

        return n == 1 ? PluralCategory.One : PluralCategory.Other;
    }

    public static bool HasPlural(string template) => template.Contains(Marker, StringComparison.Ordinal);

    /// <summary>
    /// Replaces each <c>{N, plural, …}</c> block with the form for the count in argument N, <c>#</c> written as the count. What is
    /// left is an ordinary composite format string. A form missing for a count falls back to <c>other</c>, then to
    /// <c>many</c>; a malformed block is an error, caught by the tests that render every string.
    /// </summary>
    public static string Resolve(string language, string template, IReadOnlyList<object?> args)
    {
        if (!HasPlural(template))
        {
            return template;
        }

        var result = new StringBuilder(template.Length);
        var at = 0;
        while (true)
        {
            var marker = template.IndexOf(Marker, at, StringComparison.Ordinal);
            if (marker < 0)
            {
                return result.Append(template, at, template.Length - at).ToString();
            }

            var open = template.LastIndexOf('{', marker);
            var index = int.Parse(template.AsSpan(open + 1, marker - open - 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            var (forms, end) = Forms(template, marker + Marker.Length);
            var count = Convert.ToInt64(args[index], CultureInfo.InvariantCulture);
            var form = Pick(forms, Of(language, count))
                ?? throw new FormatException($"No plural form for {count} in '{template}'.");
            result.Append(template, at, open - at).Append(form.Replace("#", count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            at = end;
        }
    }

    /// <summary>The forms of one block, by category name, and the index just past its closing brace.</summary>
    internal static (Dictionary<string, string> Forms, int End) Forms(string template, int from)
    {
        var forms = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = from;
        while (true)
        {
            while (i < template.Length && char.IsWhiteSpace(template[i]))
            {
                i++;
            }

            if (i >= template.Length)
            {
                throw new FormatException($"Unclosed plural block in '{template}'.");
            }

            if (template[i] == '}')
            {
                return (forms, i + 1);
            }

            var name = i;
            while (i < template.Length && char.IsAsciiLetter(template[i]))
            {
                i++;
            }

            var category = template[name..i];
            i = template.IndexOf('{', i);
            if (category.Length == 0 || i < 0)
            {
                throw new FormatException($"Malformed plural block in '{template}'.");
            }

            // A form may hold ordinary placeholders ({1}); it ends at the brace that closes its own.
            var depth = 0;
            var start = i + 1;
            for (; i < template.Length; i++)
            {
                depth += template[i] switch { '{' => 1, '}' => -1, _ => 0 };
                if (depth == 0)
                {
                    break;
                }
            }

            if (i >= template.Length)
            {
                throw new FormatException($"Unclosed plural form in '{template}'.");
            }

            forms[category] = template[start..i];
            i++;
        }
    }

    private static string? Pick(Dictionary<string, string> forms, PluralCategory category) =>
        forms.TryGetValue(category.ToString().ToLowerInvariant(), out var form) ? form
        : forms.TryGetValue("other", out var other) ? other
        : forms.GetValueOrDefault("many");
}
