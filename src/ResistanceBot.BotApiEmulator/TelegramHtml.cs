using System.Globalization;
using System.Text;

namespace ResistanceBot.BotApiEmulator;

/// <summary>One formatting entity of a parsed message; offsets and lengths in UTF-16 code units, as the Bot API sends them.</summary>
public sealed record MessageEntity(string Type, int Offset, int Length, string? Url = null, string? Language = null, string? CustomEmojiId = null);

/// <summary>The outcome of parsing text with parse_mode HTML: the plain text and its entities, or the error the real server gives.</summary>
public sealed record ParsedText(string Text, IReadOnlyList<MessageEntity> Entities);

/// <summary>An error the Bot API answers as 400 "Bad Request: can't parse entities: …".</summary>
public sealed class HtmlParseException(string message) : Exception(message);

/// <summary>
/// Telegram's HTML parse mode as TDLib's parse_html really behaves (reference §6.1): a bare '&amp;' or '&gt;' is text,
/// a bare '&lt;' always starts a tag, only a fixed set of tags exists, unknown named entities stay as they are,
/// error offsets are UTF-8 byte offsets into the original string.
/// </summary>
public static class TelegramHtml
{
    private static readonly HashSet<string> SupportedTags =
    [
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "tg-time",
        "span", "pre", "code", "blockquote",
    ];

    private sealed class OpenTag(string name, int utf16Offset)
    {
        public string Name { get; } = name;
        public int Utf16Offset { get; } = utf16Offset;
        public string Argument { get; set; } = "";
        public bool HasHref { get; set; }
    }

    public static ParsedText Parse(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var text = new StringBuilder(html.Length);
        var entities = new List<MessageEntity>();
        var open = new List<OpenTag>();
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c == '&')
            {
                if (TryDecodeEntity(html, i, out var decoded, out var consumed))
                {
                    text.Append(decoded);
                    i += consumed;
                }
                else
                {
                    text.Append('&');
                    i++;
                }

                continue;
            }

            if (c != '<')
            {
                text.Append(c);
                i++;
                continue;
            }

            var begin = i;
            i++;
            if (i < html.Length && html[i] == '/')
            {
                i = ReadEndTag(html, begin, open, text, entities);
            }
            else
            {
                i = ReadStartTag(html, begin, open, text.Length);
            }
        }

        if (open.Count > 0)
        {
            throw new HtmlParseException($"Can't find end tag corresponding to start tag \"{open[^1].Name}\"");
        }

        return Trim(text.ToString(), entities);
    }

    private static int ReadStartTag(string html, int begin, List<OpenTag> open, int utf16Offset)
    {
        var i = begin + 1;
        while (i < html.Length && !IsSpace(html[i]) && html[i] != '>')
        {
            i++;
        }

        if (i >= html.Length)
        {
            throw Error($"Unclosed start tag at byte offset {ByteOffset(html, begin)}");
        }

        var name = html[(begin + 1)..i].ToLowerInvariant();
        if (!SupportedTags.Contains(name))
        {
            throw Error($"Unsupported start tag \"{name}\" at byte offset {ByteOffset(html, begin)}");
        }

        var tag = new OpenTag(name, utf16Offset);
        while (true)
        {
            while (i < html.Length && IsSpace(html[i]))
            {
                i++;
            }

            if (i >= html.Length)
            {
                throw Error($"Unclosed start tag at byte offset {ByteOffset(html, begin)}");
            }

            if (html[i] == '>')
            {
                break;
            }

            var attributeBegin = i;
            while (i < html.Length && !IsSpace(html[i]) && html[i] != '=' && html[i] != '>')
            {
                i++;
            }

            var attribute = html[attributeBegin..i].ToLowerInvariant();
            if (attribute.Length == 0)
            {
                throw Error($"Empty attribute name in the tag \"{name}\" at byte offset {ByteOffset(html, begin)}");
            }

            while (i < html.Length && IsSpace(html[i]))
            {
                i++;
            }

            string value;
            if (i < html.Length && html[i] == '=')
            {
                i++;
                while (i < html.Length && IsSpace(html[i]))
                {
                    i++;
                }

                if (i >= html.Length)
                {
                    throw Error($"Unclosed start tag at byte offset {ByteOffset(html, begin)}");
                }

                if (html[i] is '"' or '\'')
                {
                    var quote = html[i++];
                    var sb = new StringBuilder();
                    while (i < html.Length && html[i] != quote)
                    {
                        if (html[i] == '&' && TryDecodeEntity(html, i, out var decoded, out var consumed))
                        {
                            sb.Append(decoded);
                            i += consumed;
                        }
                        else
                        {
                            sb.Append(html[i++]);
                        }
                    }

                    if (i >= html.Length)
                    {
                        throw Error($"Unclosed start tag at byte offset {ByteOffset(html, begin)}");
                    }

                    i++;
                    value = sb.ToString();
                }
                else
                {
                    var tokenBegin = i;
                    while (i < html.Length && (char.IsAsciiLetterOrDigit(html[i]) || html[i] is '.' or '-'))
                    {
                        i++;
                    }

                    if (i >= html.Length || (!IsSpace(html[i]) && html[i] != '>'))
                    {
                        throw Error($"Unexpected end of name token at byte offset {ByteOffset(html, tokenBegin)}");
                    }

                    value = html[tokenBegin..i].ToLowerInvariant();
                }
            }
            else
            {
                // A bare attribute, as in <blockquote expandable>.
                value = "";
            }

            switch (name, attribute)
            {
                case ("a", "href"):
                    tag.Argument = value;
                    tag.HasHref = true;
                    break;
                case ("code", "class") when value.StartsWith("language-", StringComparison.Ordinal):
                    tag.Argument = value["language-".Length..];
                    break;
                case ("span", "class") when value.StartsWith("tg-", StringComparison.Ordinal):
                    tag.Argument = value["tg-".Length..];
                    break;
                case ("tg-emoji", "emoji-id"):
                    tag.Argument = value;
                    break;
                case ("blockquote", "expandable"):
                    tag.Argument = "expandable";
                    break;
                default:
                    break; // unknown attributes are ignored
            }
        }

        if (name == "span" && tag.Argument != "spoiler")
        {
            throw Error($"Tag \"span\" must have class \"tg-spoiler\" at byte offset {ByteOffset(html, begin)}");
        }

        if (name == "tg-emoji" && (!long.TryParse(tag.Argument, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0))
        {
            throw Error("Invalid custom emoji identifier specified");
        }

        open.Add(tag);
        return i + 1;
    }

    private static int ReadEndTag(string html, int begin, List<OpenTag> open, StringBuilder text, List<MessageEntity> entities)
    {
        if (open.Count == 0)
        {
            throw Error($"Unexpected end tag at byte offset {ByteOffset(html, begin)}");
        }

        var i = begin + 2;
        while (i < html.Length && !IsSpace(html[i]) && html[i] != '>')
        {
            i++;
        }

        var endName = html[(begin + 2)..i].ToLowerInvariant();
        while (i < html.Length && IsSpace(html[i]))
        {
            i++;
        }

        if (i >= html.Length || html[i] != '>')
        {
            throw Error($"Unclosed end tag at byte offset {ByteOffset(html, begin)}");
        }

        var tag = open[^1];
        if (endName.Length > 0 && endName != tag.Name)
        {
            throw Error($"Unmatched end tag at byte offset {ByteOffset(html, begin)}, expected \"</{tag.Name}>\", found \"</{endName}>\"");
        }

        open.RemoveAt(open.Count - 1);
        var length = text.Length - tag.Utf16Offset;
        if (length > 0 && ToEntity(tag, length, text, open) is { } entity)
        {
            entities.Add(entity);
        }

        return i + 1;
    }

    private static MessageEntity? ToEntity(OpenTag tag, int length, StringBuilder text, List<OpenTag> stillOpen)
    {
        var offset = tag.Utf16Offset;
        switch (tag.Name)
        {
            case "b" or "strong":
                return new MessageEntity("bold", offset, length);
            case "i" or "em":
                return new MessageEntity("italic", offset, length);
            case "u" or "ins":
                return new MessageEntity("underline", offset, length);
            case "s" or "strike" or "del":
                return new MessageEntity("strikethrough", offset, length);
            case "tg-spoiler" or "span":
                return new MessageEntity("spoiler", offset, length);
            case "tg-emoji":
                return new MessageEntity("custom_emoji", offset, length, CustomEmojiId: tag.Argument);
            case "tg-time":
                return new MessageEntity("date_time", offset, length);
            case "blockquote":
                return new MessageEntity(tag.Argument == "expandable" ? "expandable_blockquote" : "blockquote", offset, length);
            case "pre":
                return new MessageEntity("pre", offset, length);
            case "code":
                // <pre><code class="language-x"> makes a pre with a language; a standalone code loses the language.
                if (stillOpen.Count > 0 && stillOpen[^1].Name == "pre" && stillOpen[^1].Utf16Offset == offset && tag.Argument.Length > 0)
                {
                    stillOpen[^1].Argument = tag.Argument;
                    return null;
                }

                return new MessageEntity("code", offset, length);
            case "a":
                var url = tag.HasHref ? tag.Argument : text.ToString(offset, length);
                if (url.StartsWith("tg://user?id=", StringComparison.OrdinalIgnoreCase))
                {
                    return new MessageEntity("text_mention", offset, length, Url: url);
                }

                // An invalid URL gives no entity, not an error.
                return IsValidUrl(url) ? new MessageEntity("text_link", offset, length, Url: url) : null;
            default:
                return null;
        }
    }

    private static bool IsValidUrl(string url)
    {
        if (url.Length == 0)
        {
            return false;
        }

        var candidate = url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url;
        return Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            && uri.Scheme is "http" or "https" or "tg" or "ton" or "tonsite" or "ftp";
    }

    /// <summary>
    /// Leading white space before the first entity and trailing white space are removed, as fix_formatted_text does.
    /// </summary>
    private static ParsedText Trim(string text, List<MessageEntity> entities)
    {
        var firstEntity = entities.Count == 0 ? text.Length : entities.Min(e => e.Offset);
        var start = 0;
        while (start < firstEntity && start < text.Length && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        var end = text.Length;
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        var trimmed = text[start..end];
        var adjusted = new List<MessageEntity>(entities.Count);
        foreach (var e in entities.OrderBy(e => e.Offset).ThenByDescending(e => e.Length))
        {
            var offset = e.Offset - start;
            var length = Math.Min(e.Length, trimmed.Length - offset);
            if (length > 0)
            {
                adjusted.Add(e with { Offset = offset, Length = length });
            }
        }

        return new ParsedText(trimmed, adjusted);
    }

    /// <summary>Decodes &amp;lt; &amp;gt; &amp;amp; &amp;quot; (case-sensitive, ';' optional) and numeric references.</summary>
    private static bool TryDecodeEntity(string s, int at, out string decoded, out int consumed)
    {
        decoded = "";
        consumed = 0;
        var i = at + 1;
        if (i < s.Length && s[i] == '#')
        {
            i++;
            var hex = i < s.Length && s[i] is 'x' or 'X';
            if (hex)
            {
                i++;
            }

            var digitsStart = i;
            while (i < s.Length && (hex ? char.IsAsciiHexDigit(s[i]) : char.IsAsciiDigit(s[i])) && i - digitsStart < 10)
            {
                i++;
            }

            if (i == digitsStart || i - digitsStart >= 10)
            {
                return false;
            }

            var code = long.Parse(s.AsSpan(digitsStart, i - digitsStart), hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture);
            if (code == 0 || code >= 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
            {
                return false;
            }

            decoded = char.ConvertFromUtf32((int)code);
        }
        else
        {
            var nameStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            decoded = s[nameStart..i] switch
            {
                "lt" => "<",
                "gt" => ">",
                "amp" => "&",
                "quot" => "\"",
                _ => "",
            };
            if (decoded.Length == 0)
            {
                return false;
            }
        }

        if (i < s.Length && s[i] == ';')
        {
            i++;
        }

        consumed = i - at;
        return true;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n' or '\f' or '\v';

    private static int ByteOffset(string s, int index) => Encoding.UTF8.GetByteCount(s.AsSpan(0, index));

    private static HtmlParseException Error(string message) => new(message);

    /// <summary>Length as the 4096/1024 limits count it: Unicode code points, not UTF-16 units.</summary>
    public static int CodePointLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var n = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            n++;
        }

        return n;
    }
}
