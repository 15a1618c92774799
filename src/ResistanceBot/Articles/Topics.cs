using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using ResistanceBot.Localization;
using ResistanceBot.Telegram;

namespace ResistanceBot.Articles;

/// <summary>A topic editors tag items with and readers may choose (desertion, strikes…), named in each language.</summary>
internal sealed class Topic
{
    public int Id { get; set; }

    /// <summary>Short Latin name used in commands and stored in tags: lowercase letters, digits and dashes.</summary>
    public required string Key { get; set; }

    public required string NameEn { get; set; }

    public required string NameRu { get; set; }

    public required string NameUk { get; set; }

    public string Name(string language) => language switch
    {
        "ru" => NameRu,
        "uk" => NameUk,
        _ => NameEn,
    };
}

internal sealed class TopicConfiguration : IEntityTypeConfiguration<Topic>
{
    public void Configure(EntityTypeBuilder<Topic> builder)
    {
        builder.ToTable("topics");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Key).HasMaxLength(TopicSets.MaxKeyLength);
        builder.Property(t => t.NameEn).HasMaxLength(40);
        builder.Property(t => t.NameRu).HasMaxLength(40);
        builder.Property(t => t.NameUk).HasMaxLength(40);
        builder.HasIndex(t => t.Key).IsUnique();
    }
}

/// <summary>
/// Sets of topics as they are stored (an item's tags, a reader's choice): keys, sorted, space-separated, so that equal sets are
/// equal strings and readers who chose the same topics share one rendering of an edition. Empty means no topics: an untagged
/// item goes to every reader, a reader who chose none gets every item.
/// </summary>
internal static partial class TopicSets
{
    public const int MaxKeyLength = 24;
    public const int MaxTopics = 12;

    public static string Of(IEnumerable<string> keys) =>
        string.Join(' ', keys.Select(k => k.Trim().ToLowerInvariant()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    public static string[] Keys(string? set) => string.IsNullOrEmpty(set) ? [] : set.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Whether a reader who chose <paramref name="readerSet"/> gets an item tagged <paramref name="itemSet"/>.</summary>
    public static bool Reaches(string itemSet, string? readerSet) =>
        string.IsNullOrEmpty(readerSet) || string.IsNullOrEmpty(itemSet) || Keys(itemSet).Intersect(Keys(readerSet), StringComparer.Ordinal).Any();

    public static string Toggle(string? set, string key)
    {
        var keys = Keys(set).ToList();
        if (!keys.Remove(key))
        {
            keys.Add(key);
        }

        return Of(keys);
    }

    public static bool IsKey(string key) => key.Length is > 0 and <= MaxKeyLength && KeyPattern().IsMatch(key);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}

/// <summary>
/// /topics: the list; /topics add KEY English / Русский / Українська: a new topic with its names (one name serves all three
/// when only one is given); /topics remove KEY: gone from the list, from items not yet published and from readers' choices.
/// </summary>
internal sealed class TopicsCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var args = context.Arguments.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (args)
        {
            case []:
                var topics = await context.Db.Topics.AsNoTracking().OrderBy(t => t.Key).ToListAsync(ct);
                await context.ReplyAsync(topics.Count == 0
                    ? context.T("topics.none")
                    : context.T("topics.title") + "\n\n" + string.Join('\n', topics.Select(t => $"<code>{t.Key}</code> — {Html.Escape(t.NameEn)} / {Html.Escape(t.NameRu)} / {Html.Escape(t.NameUk)}")) + "\n\n" + context.T("topics.hint"), ct: ct);
                return;
            case ["add", var key, var names] when TopicSets.IsKey(key.ToLowerInvariant()):
                await AddAsync(context, key.ToLowerInvariant(), names, ct);
                return;
            case ["remove", var key]:
                await RemoveAsync(context, key.ToLowerInvariant(), ct);
                return;
            default:
                await context.ReplyAsync(context.T("topics.usage"), ct: ct);
                return;
        }
    }

    private static async Task AddAsync(BotContext context, string key, string names, CancellationToken ct)
    {
        var split = names.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => PlainText.Cut(n, 40)).ToArray();
        if (split.Length is not (1 or 3))
        {
            await context.ReplyAsync(context.T("topics.usage"), ct: ct);
            return;
        }

        if (await context.Db.Topics.AnyAsync(t => t.Key == key, ct))
        {
            await context.ReplyAsync(context.T("topics.exists", key), ct: ct);
            return;
        }

        if (await context.Db.Topics.CountAsync(ct) >= TopicSets.MaxTopics)
        {
            await context.ReplyAsync(context.T("topics.full", TopicSets.MaxTopics), ct: ct);
            return;
        }

        context.Db.Topics.Add(new Topic { Key = key, NameEn = split[0], NameRu = split.Length == 1 ? split[0] : split[1], NameUk = split[^1] });
        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("topics.add", "topic:" + key, ct: ct);
        await context.ReplyAsync(context.T("topics.added", key), ct: ct);
    }

    private static async Task RemoveAsync(BotContext context, string key, CancellationToken ct)
    {
        if (await context.Db.Topics.Where(t => t.Key == key).ExecuteDeleteAsync(ct) == 0)
        {
            await context.ReplyAsync(context.T("topics.unknown", key), ct: ct);
            return;
        }

        // Few rows carry topics (candidates waiting, readers who chose some): each is rewritten without the key.
        foreach (var article in await context.Db.Articles.Where(a => a.State != CandidateState.Published && a.Topics.Contains(key)).ToListAsync(ct))
        {
            article.Topics = TopicSets.Of(TopicSets.Keys(article.Topics).Where(k => k != key));
        }

        foreach (var reader in await context.Db.Readers.Where(r => r.Topics.Contains(key)).ToListAsync(ct))
        {
            reader.Topics = TopicSets.Of(TopicSets.Keys(reader.Topics).Where(k => k != key));
        }

        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("topics.remove", "topic:" + key, ct: ct);
        await context.ReplyAsync(context.T("topics.removed", key), ct: ct);
    }
}

/// <summary>/tag N KEY…: the item's topics (replacing what it had); /tag N alone: no topics, so it goes to every reader.</summary>
internal sealed class TagCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var args = context.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length == 0 || !ArticlesFeature.TryNumber(args[0], out var id))
        {
            await context.ReplyAsync(context.T("tag.usage"), ct: ct);
            return;
        }

        var article = await context.Db.Articles.FirstOrDefaultAsync(a => a.Id == id && a.State != CandidateState.Published, ct);
        if (article is null)
        {
            await context.ReplyAsync(context.T("pick.none", id), ct: ct);
            return;
        }

        var wanted = args.Skip(1).Select(k => k.Trim(',').ToLowerInvariant()).Where(k => k.Length > 0).ToList();
        var known = await context.Db.Topics.AsNoTracking().Where(t => wanted.Contains(t.Key)).Select(t => t.Key).ToListAsync(ct);
        var unknown = wanted.Except(known, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            await context.ReplyAsync(context.T("topics.unknown", string.Join(", ", unknown)), ct: ct);
            return;
        }

        article.Topics = TopicSets.Of(known);
        await context.Db.SaveChangesAsync(ct);
        await context.AuditAsync("tag", "candidate:" + id.ToString(CultureInfo.InvariantCulture), article.Topics, ct);
        await context.ReplyAsync(article.Topics.Length == 0 ? context.T("tag.cleared", id) : context.T("tag.done", id, article.Topics.Replace(" ", ", ", StringComparison.Ordinal)), ct: ct);
    }
}

/// <summary>Topic names for readers, in their language.</summary>
internal static class TopicNames
{
    public static async Task<List<Topic>> AllAsync(Storage.BotDbContext db, CancellationToken ct) =>
        await db.Topics.AsNoTracking().OrderBy(t => t.Key).ToListAsync(ct);

    public static string Describe(IEnumerable<Topic> topics, string? set, string language, Localizer strings)
    {
        var keys = TopicSets.Keys(set);
        var names = topics.Where(t => keys.Contains(t.Key)).Select(t => t.Name(language)).ToList();
        return names.Count == 0 ? strings.Get(language, "settings.topics.all") : string.Join(", ", names);
    }
}
