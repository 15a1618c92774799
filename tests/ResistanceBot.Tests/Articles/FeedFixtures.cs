using System.Text;

namespace ResistanceBot.Tests.Articles;

internal static class FeedFixtures
{
    /// <summary>An RSS 2.0 feed of undated items (undated items are always offered; dated ones only while recent).</summary>
    public static string Rss(string title, params (string Title, string Link, string Summary)[] items)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>").Append(title).Append("</title>");
        foreach (var (itemTitle, link, summary) in items)
        {
            xml.Append("<item><title><![CDATA[").Append(itemTitle).Append("]]></title><link>").Append(link)
                .Append("</link><description><![CDATA[").Append(summary).Append("]]></description></item>");
        }

        return xml.Append("</channel></rss>").ToString();
    }
}
