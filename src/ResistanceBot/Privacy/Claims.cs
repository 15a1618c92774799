using ResistanceBot.Telegram;

namespace ResistanceBot.Privacy;

/// <param name="Heading">A string key for the section's bold heading, or null for none.</param>
/// <param name="Keys">The string keys of the section's sentences, in order.</param>
/// <param name="Bullets">Whether each sentence is shown as a bullet (claims are; a how-to paragraph is not).</param>
internal sealed record ClaimSection(string? Heading, IReadOnlyList<string> Keys, bool Bullets = true);

/// <summary>
/// Texts that promise something about privacy (/privacy, /tip's intro) are made of claims, one string key each, so that
/// docs/PRIVACY.md can list every claim with the code that makes it true and the test that checks it, and a test can hold the
/// table and the texts to each other in every language.
/// </summary>
internal static class Claims
{
    /// <summary>The lines of a claim text: a heading, then its sentences; an empty line between sections.</summary>
    public static IEnumerable<string> Lines(BotContext context, IEnumerable<ClaimSection> sections, params object?[] args)
    {
        var first = true;
        foreach (var section in sections)
        {
            if (!first)
            {
                yield return "";
            }

            first = false;
            if (section.Heading is { } heading)
            {
                yield return context.T(heading);
            }

            foreach (var key in section.Keys)
            {
                yield return (section.Bullets ? "• " : "") + context.T(key, args);
            }
        }
    }

    public static IEnumerable<string> KeysOf(IEnumerable<ClaimSection> sections) => sections.SelectMany(s => s.Keys);
}
