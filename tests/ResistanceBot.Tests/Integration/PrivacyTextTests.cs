using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ResistanceBot.BotApiEmulator;
using ResistanceBot.Localization;
using ResistanceBot.Privacy;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Integration;

/// <summary>
/// What /privacy and /tip say, in every language, held to docs/PRIVACY.md: every claim the table lists is said, and nothing is
/// said that the table does not list (each claim there names the code that makes it true and the test that checks it).
/// </summary>
public sealed partial class PrivacyTextTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [GeneratedRegex(@"`([a-z]+(?:\.[a-z]+)+)`")]
    private static partial Regex Key();

    /// <summary>The keys in the first column of a section's table in docs/PRIVACY.md.</summary>
    internal static IReadOnlyList<string> TableKeys(string heading)
    {
        var lines = File.ReadAllLines(Repository.PathOf("docs/PRIVACY.md"));
        var start = Array.IndexOf(lines, heading);
        Assert.True(start >= 0, $"docs/PRIVACY.md has no '{heading}' section");
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(l => Key().Matches(l.Split('|')[1]).Select(m => m.Groups[1].Value))
            .Distinct()
            .ToList();
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ru")]
    [InlineData("uk")]
    public async Task Privacy_and_tip_say_every_claim_docs_PRIVACY_md_lists_and_nothing_it_does_not(string language)
    {
        await using var bot = await BotHost.StartAsync();
        var user = bot.Emulator.User(7_700_000 + language[0], "Reader", languageCode: language);
        var strings = new Localizer();
        var tips = bot.Services.GetRequiredService<IOptions<TipsOptions>>().Value;
        var vault = bot.Services.GetRequiredService<IOptions<ResistanceBot.Vault.VaultOptions>>().Value;

        // The table and the bot's own list of claims are the same set.
        var privacyKeys = TableKeys("## /privacy");
        var tipKeys = TableKeys("## /tip");
        Assert.Equal(Claims.KeysOf(PrivacyCommand.Sections).Order(), privacyKeys.Order());
        Assert.Equal(Claims.KeysOf(TipCommand.Sections).Order(), tipKeys.Order());

        var privacy = await SaidAsync(bot, user, "/privacy");
        AssertSaysExactly(privacy, strings, language, PrivacyCommand.Sections, privacyKeys, tips.RetentionDays, tips.EpochDays, vault.UnlockMinutes);

        var tip = await SaidAsync(bot, user, "/tip");
        AssertSaysExactly(tip, strings, language, TipCommand.Sections, tipKeys, tips.MaxFiles, TipsFeature.Size(strings, language, tips.MaxFileBytes), tips.DraftMinutes, 2 * tips.EpochDays);
    }

    /// <summary>Everything the bot sends in answer to a command, in as many messages as it takes.</summary>
    private static async Task<string> SaidAsync(BotHost bot, TelegramUser user, string command)
    {
        var before = user.BotMessageCount;
        await user.AskAsync(command, Wait);
        await bot.Emulator.WaitUntilAsync(() => bot.Emulator.PendingUpdateCount == 0, Wait, command + " to be handled");
        await bot.SettledAsync(Wait);
        return string.Join("\n", user.BotMessages.Skip(before).Select(m => m.Text));
    }

    private static void AssertSaysExactly(string said, Localizer strings, string language, ClaimSection[] sections, IReadOnlyList<string> listed, params object?[] args)
    {
        string Plain(string key) => TelegramHtml.Parse(strings.Format(language, key, args)).Text;
        var left = said;
        foreach (var key in listed)
        {
            var claim = Plain(key);
            Assert.True(left.Contains(claim, StringComparison.Ordinal), $"'{key}' is listed in docs/PRIVACY.md but not said in {language}: {claim}");
            left = left.Replace(claim, "", StringComparison.Ordinal);
        }

        foreach (var heading in sections.Select(s => s.Heading).OfType<string>())
        {
            left = left.Replace(Plain(heading), "", StringComparison.Ordinal);
        }

        Assert.True(string.IsNullOrWhiteSpace(left.Replace("•", "", StringComparison.Ordinal)), $"said in {language} but not listed in docs/PRIVACY.md: '{left.Trim()}'");
    }
}
