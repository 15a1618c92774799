using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Localization;
using ResistanceBot.Staff;
using ResistanceBot.Storage;
using ResistanceBot.Tips;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Moderation;

/// <summary>
/// Tells moderators of new tips without dating them: notices (no contents) go out in batches, each at a random moment up to
/// <c>Tips:NoticeDelayMinutes</c> after the first tip that waits for one, so that neither the group's messages nor the bot's
/// metrics tell when a tip arrived. Runs on the leading instance; a tip is announced once per staff chat.
/// </summary>
internal sealed partial class NoticeBatcher(
    IServiceScopeFactory scopes,
    Leadership leadership,
    TipArrivals arrivals,
    BotSender sender,
    StaffDirectory staff,
    ButtonSigner buttons,
    TipViewer viewer,
    Localizer strings,
    Hosting.BotMetrics metrics,
    IOptions<StaffOptions> staffOptions,
    IOptions<TipsOptions> tipsOptions,
    TimeProvider time,
    ILogger<NoticeBatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Look = TimeSpan.FromMinutes(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(RunAsync, stoppingToken);

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await AnyUnannouncedAsync(ct))
                {
                    await arrivals.WaitAsync(Look, ct);
                    continue;
                }

                await Task.Delay(RandomDelay(), time, ct);
                if (await AnnounceAsync(ct) == 0)
                {
                    await arrivals.WaitAsync(Look, ct); // nobody to tell yet, or Telegram is down: look again later
                }
            }
            catch (System.Data.Common.DbException e)
            {
                LogDatabase(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(30), time, ct);
            }
        }
    }

    /// <summary>Uniform over (0, NoticeDelayMinutes]; none when the setting is 0.</summary>
    private TimeSpan RandomDelay() => tipsOptions.Value.NoticeDelayMinutes == 0
        ? TimeSpan.Zero
        : TimeSpan.FromSeconds(RandomNumberGenerator.GetInt32(1, (tipsOptions.Value.NoticeDelayMinutes * 60) + 1));

    private async Task<bool> AnyUnannouncedAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return (await UnannouncedAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), ct)).Count > 0;
    }

    /// <summary>Waiting tips no staff chat has a notice of yet (the waiting are few: a queue, not an archive).</summary>
    private static async Task<List<TipSummary>> UnannouncedAsync(BotDbContext db, CancellationToken ct)
    {
        var waiting = await TipService.WaitingAsync(db, 1_000, ct);
        var ids = waiting.Select(t => t.Id).ToList();
        var noticed = (await db.TipNotices.Where(n => ids.Contains(n.TipId)).Select(n => n.TipId).ToListAsync(ct)).ToHashSet();
        return [.. waiting.Where(t => !noticed.Contains(t.Id))];
    }

    /// <returns>How many tips were announced in this batch.</returns>
    internal async Task<int> AnnounceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        IEnumerable<long> targets = staffOptions.Value.ModeratorChatId is { } group
            ? [group]
            : (await staff.ListAsync(db, ct)).Where(s => s.Role.Allows(StaffRole.Moderator)).Select(s => s.UserId).Distinct();
        var announced = 0;
        var languages = new Dictionary<long, string>();
        foreach (var chat in targets)
        {
            languages[chat] = await staff.LanguageOfAsync(db, chat, ct);
        }

        foreach (var tip in await UnannouncedAsync(db, ct))
        {
            var told = false;
            foreach (var chat in targets)
            {
                var language = languages[chat];
                var html = strings.Format(language, "mod.notice", tip.Id, viewer.Kinds(language, tip));
                var markup = new InlineKeyboardMarkup(buttons.Button(strings.Get(language, "mod.button.open"), "open", tip.Id));
                var outcome = await sender.SendTextAsync(chat, html, markup, ct: ct);
                if (outcome.Status != SendStatus.Failed)
                {
                    // A chat that refuses for good (a moderator who never started the bot) is not asked again for this tip.
                    db.TipNotices.Add(new TipNotice { TipId = tip.Id, ChatId = chat, MessageId = outcome.Ok ? outcome.MessageId : null });
                    told = true;
                }
            }

            await db.SaveChangesAsync(ct);
            announced += told ? 1 : 0;
        }

        metrics.TipsAnnounced(announced);
        return announced;
    }

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Staff notices could not reach the database; trying again in 30 s")]
    private static partial void LogDatabase(ILogger logger, Exception exception);
}
