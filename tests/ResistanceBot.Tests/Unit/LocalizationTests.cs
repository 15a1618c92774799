using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Hosting;
using ResistanceBot.Localization;
using ResistanceBot.Telegram;

namespace ResistanceBot.Tests.Unit;

public sealed partial class LocalizationTests
{
    private static readonly string[] Languages = ["en", "ru", "uk"];

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\{(\d+), plural,")]
    private static partial Regex PluralArgument();

    /// <summary>A word in Latin script: two letters or more (a lone "N" in a staff usage line is a placeholder, not a word).</summary>
    [GeneratedRegex(@"\p{IsBasicLatin}*?([A-Za-z]{2,})")]
    private static partial Regex LatinWord();

    [GeneratedRegex(@"/[a-z]+|https?://\S+")]
    private static partial Regex CommandOrUrl();

    [Theory]
    [InlineData("ru")]
    [InlineData("uk")]
    public void Every_string_exists_in_every_language_with_the_same_placeholders(string language)
    {
        var english = Localizer.Load("en");
        var other = Localizer.Load(language);

        Assert.Empty(english.Keys.Except(other.Keys));
        Assert.Empty(other.Keys.Except(english.Keys));
        foreach (var (key, value) in english)
        {
            var expected = Placeholder().Matches(value).Select(m => m.Value).Concat(PluralArgument().Matches(value).Select(m => m.Value)).Distinct().Order().ToList();
            var actual = Placeholder().Matches(other[key]).Select(m => m.Value).Concat(PluralArgument().Matches(other[key]).Select(m => m.Value)).Distinct().Order().ToList();
            Assert.True(expected.SequenceEqual(actual), $"'{key}' in {language} has placeholders [{string.Join(",", actual)}], English has [{string.Join(",", expected)}]");
        }
    }

    [Fact]
    public void Every_string_is_valid_Telegram_HTML_within_the_message_limit()
    {
        var localizer = new Localizer();
        foreach (var language in Languages)
        {
            foreach (var key in localizer.All(language).Keys)
            {
                var counts = PluralArgument().Matches(localizer.Get(language, key)).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
                var html = localizer.Format(language, key, [.. Enumerable.Range(0, 10).Select(i => counts.Contains(i) ? (object?)(i + 20) : i == 0 ? "<&>" : "x" + i)]);
                var parsed = TelegramHtml.Parse(html);
                Assert.True(TelegramHtml.CodePointLength(parsed.Text) <= 4096, key);
            }
        }
    }

    [Fact]
    public void Every_menu_command_has_a_description_in_every_language_that_Telegram_accepts()
    {
        var services = new ServiceCollection();
        services.AddBot(new ConfigurationBuilder().Build());
        var commands = services.Where(d => d.ServiceType == typeof(CommandDefinition)).Select(d => (CommandDefinition)d.ImplementationInstance!).ToList();
        var localizer = new Localizer();

        Assert.NotEmpty(commands);
        foreach (var command in commands.Where(c => c.InMenu))
        {
            Assert.Matches("^[a-z0-9_]{1,32}$", command.Name);
            foreach (var language in Languages)
            {
                var description = localizer.Get(language, "cmd." + command.Name);
                Assert.InRange(description.Length, 1, 256);
            }
        }
    }

    [Theory]
    [InlineData("ru-RU", "ru")]
    [InlineData("uk", "uk")]
    [InlineData("be", "en")]
    [InlineData(null, "en")]
    [InlineData("EN-us", "en")]
    public void The_readers_Telegram_language_picks_en_ru_or_uk_and_anything_else_is_English(string? code, string expected) =>
        Assert.Equal(expected, Localizer.Pick(code));

    [Fact]
    public void Arguments_are_escaped_so_reader_text_cannot_inject_markup()
    {
        var localizer = new Localizer();
        var html = localizer.Format("en", "staff.added", "<b>evil</b> & \u202Eoverride", "moderator");
        Assert.Contains("&lt;b&gt;evil&lt;/b&gt; &amp;", html, StringComparison.Ordinal);
        Assert.Equal("User <b>evil</b> & \u202Eoverride is now moderator.", TelegramHtml.Parse(html).Text);
    }

    [Theory]
    [InlineData("ru", new[] { 1, 21, 31, 101, 121 }, new[] { 2, 3, 4, 22, 24, 102, 134 }, new[] { 0, 5, 11, 12, 14, 19, 20, 25, 100, 111, 112, 200 })]
    [InlineData("uk", new[] { 1, 21, 31, 101, 121 }, new[] { 2, 3, 4, 22, 24, 102, 134 }, new[] { 0, 5, 11, 12, 14, 19, 20, 25, 100, 111, 112, 200 })]
    public void Counts_take_the_CLDR_category_of_their_language(string language, int[] one, int[] few, int[] many)
    {
        Assert.All(one, n => Assert.Equal(PluralCategory.One, Plurals.Of(language, n)));
        Assert.All(few, n => Assert.Equal(PluralCategory.Few, Plurals.Of(language, n)));
        Assert.All(many, n => Assert.Equal(PluralCategory.Many, Plurals.Of(language, n)));
        Assert.Equal(PluralCategory.One, Plurals.Of("en", 1));
        Assert.All(new[] { 0, 2, 5, 11, 21, 101 }, n => Assert.Equal(PluralCategory.Other, Plurals.Of("en", n)));
    }

    /// <summary>
    /// Every plural string, in every language, for every count from 0 to 200: it gives each category its language needs, the
    /// count is written in, no "#" or brace is left, and the form chosen is the one written for the count's category.
    /// </summary>
    [Fact]
    public void Every_plural_string_says_every_count_from_0_to_200_in_the_form_its_language_needs()
    {
        var localizer = new Localizer();
        var checkedStrings = 0;
        foreach (var language in Languages)
        {
            foreach (var (key, template) in localizer.All(language).Where(s => Plurals.HasPlural(s.Value)))
            {
                checkedStrings++;
                var blocks = PluralArgument().Matches(template);
                foreach (Match block in blocks)
                {
                    var (forms, _) = Plurals.Forms(template, block.Index + block.Length);
                    Assert.All(Plurals.CategoriesOf(language), c => Assert.True(forms.ContainsKey(c.ToString().ToLowerInvariant()), $"'{key}' in {language} has no '{c}' form"));
                }

                var indexes = blocks.Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
                for (var n = 0; n <= 200; n++)
                {
                    var args = Enumerable.Range(0, 10).Select(i => indexes.Contains(i) ? (object?)n : "x" + i).ToArray();
                    var text = TelegramHtml.Parse(localizer.Format(language, key, args)).Text;
                    Assert.DoesNotContain("#", text.Replace("#x", "", StringComparison.Ordinal), StringComparison.Ordinal);
                    Assert.DoesNotContain("plural", text, StringComparison.Ordinal);
                    Assert.Matches($@"(^|\D){n}(\D|$)", text);
                    var first = blocks[0];
                    var (forms, _) = Plurals.Forms(template, first.Index + first.Length);
                    var category = Plurals.Of(language, n).ToString().ToLowerInvariant();
                    var expected = forms.TryGetValue(category, out var form) ? form : forms["other"];
                    var word = expected.Replace("#", "", StringComparison.Ordinal).Trim().Split(' ')[0];
                    Assert.Contains(word.Contains('{', StringComparison.Ordinal) ? "" : word, text, StringComparison.Ordinal);
                }
            }
        }

        Assert.True(checkedStrings >= 60, $"only {checkedStrings} plural strings");
    }

    [Theory]
    [InlineData("ru", 1, "Добавлено в письмо (пока 1 часть)")]
    [InlineData("ru", 2, "Добавлено в письмо (пока 2 части)")]
    [InlineData("ru", 5, "Добавлено в письмо (пока 5 частей)")]
    [InlineData("ru", 11, "Добавлено в письмо (пока 11 частей)")]
    [InlineData("ru", 21, "Добавлено в письмо (пока 21 часть)")]
    [InlineData("ru", 22, "Добавлено в письмо (пока 22 части)")]
    [InlineData("uk", 1, "Додано до листа (поки 1 частина)")]
    [InlineData("uk", 2, "Додано до листа (поки 2 частини)")]
    [InlineData("uk", 5, "Додано до листа (поки 5 частин)")]
    [InlineData("uk", 11, "Додано до листа (поки 11 частин)")]
    [InlineData("uk", 21, "Додано до листа (поки 21 частина)")]
    [InlineData("uk", 22, "Додано до листа (поки 22 частини)")]
    [InlineData("en", 1, "Added to your letter (1 part so far)")]
    [InlineData("en", 21, "Added to your letter (21 parts so far)")]
    public void A_count_reads_as_a_native_speaker_writes_it(string language, int count, string expected) =>
        Assert.StartsWith(expected, new Localizer().Format(language, "tip.added", count), StringComparison.Ordinal);

    /// <summary>
    /// What a reader sees in ru and uk has no word in Latin script, but for commands, links, the bot's own name and the names of
    /// file formats and programs (JPEG, Word), which have no other name. Staff screens may name configuration keys and roles.
    /// </summary>
    [Theory]
    [InlineData("ru")]
    [InlineData("uk")]
    public void Reader_strings_in_ru_and_uk_have_no_Latin_word_but_commands_links_and_format_names(string language)
    {
        string[] names = ["ResistanceBot", "JPEG", "PNG", "WebP", "HEIC", "HEIF", "AVIF", "MP", "MOV", "GP", "MP3", "Ogg", "Opus", "PDF", "Word", "Excel", "PowerPoint", "OpenDocument", "ZIP", "RAR", "z", "UTC"];
        var localizer = new Localizer();
        foreach (var (key, template) in localizer.All(language).Where(s => ReaderFacing(s.Key)))
        {
            var text = CommandOrUrl().Replace(TelegramHtml.Parse(localizer.Format(language, key, [.. Enumerable.Range(0, 10).Select(i => (object?)(i + 1))])).Text, "");
            var latin = LatinWord().Matches(text).Select(m => m.Groups[1].Value).Where(w => !names.Contains(w)).ToList();
            Assert.True(latin.Count == 0, $"'{key}' in {language} has Latin words: {string.Join(", ", latin)}");
            Assert.True(key.StartsWith("tip.claim.files", StringComparison.Ordinal) || !text.Contains("UTC", StringComparison.Ordinal), $"'{key}' says UTC to a reader");
        }
    }

    /// <summary>The strings a reader (not only staff) can be shown.</summary>
    internal static bool ReaderFacing(string key) =>
        key.Split('.')[0] is "start" or "subscribe" or "unsubscribe" or "forget" or "unknown" or "error" or "settings" or "digest" or "privacy" or "advice"
            or "stray" or "cleanup" or "unit" or "zone" or "button"
        || key is "help.title" or "help.group.none"
        || key.StartsWith("tip.", StringComparison.Ordinal)
        || (key.StartsWith("cmd.", StringComparison.Ordinal) && Telegram.CommandMenus.Order.Take(12).Contains(key[4..]));
}
