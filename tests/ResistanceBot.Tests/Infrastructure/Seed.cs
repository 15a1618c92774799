using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Articles;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Subscriptions;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// Writes subscribers and picked articles straight into a bot's database, exactly as the bot stores them (pseudonym,
/// sealed chat id), using the bot's own keys. For fan-out tests with thousands of readers.
/// </summary>
internal sealed class Seed : IAsyncDisposable
{
    private readonly BotDbContext _db;
    private readonly DataSealer _sealer;
    private readonly Pseudonyms _pseudonyms;

    private Seed(BotDbContext db, SecurityOptions security)
    {
        _db = db;
        _sealer = new DataSealer(Options.Create(security));
        _pseudonyms = new Pseudonyms(Options.Create(security));
    }

    /// <summary>Opens (and migrates) the database named in the bot's settings, with the keys in them.</summary>
    public static async Task<Seed> OpenAsync(string[] settings)
    {
        string Setting(string key) => settings.Single(s => s.StartsWith($"--{key}=", StringComparison.Ordinal))[(key.Length + 3)..];
        var db = StorageServices.CreateContext(Enum.Parse<DatabaseProvider>(Setting("Database:Provider")), Setting("Database:ConnectionString"));
        await db.Database.MigrateAsync();
        return new Seed(db, new SecurityOptions { DataKey = Setting("Security:DataKey"), PseudonymKey = Setting("Security:PseudonymKey") });
    }

    public async Task SubscribersAsync(IEnumerable<long> ids, Func<long, (string Language, int? Hour)>? settings = null, Func<long, string>? topics = null)
    {
        foreach (var chunk in ids.Chunk(1000))
        {
            foreach (var id in chunk)
            {
                var (language, hour) = settings?.Invoke(id) ?? ("en", null);
                _db.Readers.Add(new Reader
                {
                    Pseudonym = _pseudonyms.Of(Purposes.Reader, id),
                    SealedChatId = _sealer.SealInt64(id, Purposes.SubscriberChat),
                    Language = language,
                    DigestHour = hour,
                    Topics = topics?.Invoke(id) ?? "",
                });
            }

            await _db.SaveChangesAsync();
            _db.ChangeTracker.Clear();
        }
    }

    /// <summary>Picked articles long enough that the edition needs several Telegram messages.</summary>
    public async Task PickedArticlesAsync(int count, int summaryLength = 550, int first = 1, Func<int, string>? topics = null, bool fullText = false)
    {
        for (var i = first; i < first + count; i++)
        {
            _db.Articles.Add(new Article
            {
                Kind = CandidateKind.Article,
                State = CandidateState.Picked,
                PickOrder = i,
                Url = $"https://news.example/{i}",
                UrlKey = CanonicalUrl.Hash("news.example/" + i),
                Title = $"Story {i}: workers and mothers",
                Source = "News",
                Summary = string.Concat(Enumerable.Repeat($"Part of story {i}. ", summaryLength))[..summaryLength],
                FoundAt = DateTime.UnixEpoch,
                Topics = topics?.Invoke(i) ?? "",
                FullText = fullText ? FullText.FromPlainText(string.Concat(Enumerable.Repeat($"The whole of story {i}. ", 200))) : null,
                FullTextStatus = fullText ? FullTextStatus.Found : FullTextStatus.NotFound,
            });
        }

        await _db.SaveChangesAsync();
    }

    /// <summary>Tips in the given states, decided the given number of days ago (null: undecided).</summary>
    public async Task TipsAsync(params (ResistanceBot.Tips.TipState State, int? DecidedDaysAgo)[] tips)
    {
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        foreach (var (state, days) in tips)
        {
            _db.Tips.Add(new ResistanceBot.Tips.Tip
            {
                State = state,
                SubmittedOn = now.Date.AddDays(-(days ?? 0) - 1),
                DecidedOn = days is { } d ? now.Date.AddDays(-d) : null,
                ReceiptHash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
                Parts = [new ResistanceBot.Tips.TipPart { Kind = ResistanceBot.Tips.TipPartKind.Text, Cleaned = true, SealedContent = ResistanceBot.Vault.SealedBox.Seal(TestVault.PublicKey, "seeded"u8, ResistanceBot.Tips.TipService.TextPurpose) }],
            });
        }

        await _db.SaveChangesAsync();
    }

    public Task<int> CountTipsAsync() => _db.Tips.CountAsync();

    /// <summary>Readers with a subscription (the subscription is their sealed chat id).</summary>
    public Task<int> CountSubscribedAsync() => _db.Readers.CountAsync(r => r.SealedChatId != null);

    public Task<int> CountPendingAsync() =>
        _db.Outbox.CountAsync(o => o.State == Delivery.OutboxState.Pending);

    /// <summary>
    /// On SQLite, the seeded rows are copied from the WAL into the database first: a bot started next would otherwise copy a
    /// million readers back in its first checkpoint, in the middle of what a benchmark measures.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_db.Database.IsSqlite())
        {
            await _db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)");
        }

        await _db.DisposeAsync();
    }
}
