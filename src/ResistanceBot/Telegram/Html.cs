using System.Text;

namespace ResistanceBot.Telegram;

/// <summary>Builds Telegram HTML. Text from outside (readers, feeds) goes through <see cref="Escape"/> before it is put into markup.</summary>
internal static class Html
{
    /// <summary>Escapes the three characters Telegram's parser treats as markup, and the quote for attribute values.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        if (text.AsSpan().IndexOfAny("<>&\"") < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '"' => "&quot;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    public static string Bold(string escapedHtml) => $"<b>{escapedHtml}</b>";

    public static string Code(string text) => $"<code>{Escape(text)}</code>";
}

/// <summary>A piece of HTML that is already safe, passed to the localizer so that it is not escaped twice.</summary>
internal readonly record struct HtmlFragment(string Value)
{
    public override string ToString() => Value;
}
