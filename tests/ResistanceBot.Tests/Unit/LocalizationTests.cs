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
            var expected = Placeholder().Matches(value).Select(m => m.Value).Order().ToList();
            var actual = Placeholder().Matches(other[key]).Select(m => m.Value).Order().ToList();
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
                var html = localizer.Format(language, key, ["<&>", .. Enumerable.Range(1, 9).Select(i => (object?)("x" + i))]);
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
}
