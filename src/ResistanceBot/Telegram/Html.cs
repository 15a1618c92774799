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

    public static string Code(string text) => $"<code>{Escape(text)}</code>";
}

/// <summary>A piece of HTML that is already safe, passed to the localizer so that it is not escaped twice.</summary>
internal readonly record struct HtmlFragment(string Value)
{
    public override string ToString() => Value;
}

/// <summary>
/// Builds one Telegram HTML message while counting its length as Telegram will see it after parsing, in UTF-16 units
/// (stricter than Telegram's code-point count). Every piece of text is escaped; only this class writes tags.
/// </summary>
internal sealed class HtmlBuilder
{
    private readonly StringBuilder _html = new();

    /// <summary>Length of the text after entity parsing, in UTF-16 code units.</summary>
    public int PlainLength { get; private set; }

    public HtmlBuilder Text(string text)
    {
        _html.Append(Html.Escape(text));
        PlainLength += text.Length;
        return this;
    }

    public HtmlBuilder Line(string text = "") => Text(text).Text("\n");

    public HtmlBuilder Bold(string text) => Tag("b", text);

    public HtmlBuilder Italic(string text) => Tag("i", text);

    /// <summary>A link, bold; only absolute http(s) URLs make a link, anything else is bold text.</summary>
    public HtmlBuilder Link(string? url, string text) => Anchor(url, text, bold: true);

    /// <summary>A plain (not bold) link inside running text; anything but an absolute http(s) URL stays plain text.</summary>
    public HtmlBuilder Anchor(string? url, string text) => Anchor(url, text, bold: false);

    private HtmlBuilder Anchor(string? url, string text, bool bold)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return bold ? Bold(text) : Text(text);
        }

        _html.Append("<a href=\"").Append(Html.Escape(uri.AbsoluteUri)).Append("\">");
        _ = bold ? Bold(text) : Text(text);
        _html.Append("</a>");
        return this;
    }

    /// <summary>A quotation: <paramref name="inner"/> inside &lt;blockquote&gt;.</summary>
    public HtmlBuilder Quote(HtmlBuilder inner)
    {
        _html.Append("<blockquote>").Append(inner._html).Append("</blockquote>");
        PlainLength += inner.PlainLength;
        return this;
    }

    public HtmlBuilder Append(HtmlBuilder other)
    {
        _html.Append(other._html);
        PlainLength += other.PlainLength;
        return this;
    }

    private HtmlBuilder Tag(string tag, string text)
    {
        _html.Append('<').Append(tag).Append('>').Append(Html.Escape(text)).Append("</").Append(tag).Append('>');
        PlainLength += text.Length;
        return this;
    }

    public override string ToString() => _html.ToString();
}
