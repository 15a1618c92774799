using Microsoft.EntityFrameworkCore;
using Prometheus;
using ResistanceBot.Delivery;
using ResistanceBot.Storage;

namespace ResistanceBot.Hosting;

/// <summary>
/// The counters at <c>/metrics</c> (Prometheus text format), in a registry of this host's own. Labels are kinds and outcomes
/// only, never a chat, a user or a command: a per-command counter scraped every few seconds would tell when tips were sent,
/// which the tip store itself keeps only to the day. Tips are counted when their notices go out, in randomly timed batches.
/// </summary>
internal sealed class BotMetrics
{
    private readonly Counter _updates;
    private readonly Counter _duplicates;
    private readonly Counter _handlerErrors;
    private readonly Counter _sends;
    private readonly Counter _tooManyRequests;
    private readonly Counter _tipsAnnounced;
    private readonly Counter _feedPolls;

    // One child per outcome, looked up once: a send is the hot path.
    private readonly Counter.Child _sent;
    private readonly Counter.Child _recipientGone;
    private readonly Counter.Child _rejected;
    private readonly Counter.Child _failed;

    public BotMetrics(IServiceScopeFactory scopes, Leadership leadership)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _updates = factory.CreateCounter("resistancebot_updates_handled_total", "Updates handled, by update type.", "type");
        _duplicates = factory.CreateCounter("resistancebot_updates_duplicate_total", "Updates received again (a retry or redelivery) and not handled twice.");
        _handlerErrors = factory.CreateCounter("resistancebot_handler_errors_total", "Updates whose handler failed (the reader got an apology).");
        _sends = factory.CreateCounter("resistancebot_sends_total", "Calls that send or edit a message, by final outcome: sent, failed (after retries), rejected (400), recipient_gone (403).", "outcome");
        (_sent, _recipientGone, _rejected, _failed) = (_sends.WithLabels("sent"), _sends.WithLabels("recipient_gone"), _sends.WithLabels("rejected"), _sends.WithLabels("failed"));
        _tooManyRequests = factory.CreateCounter("resistancebot_telegram_429_total", "429 Too Many Requests answers from the Bot API (each pauses all sends for retry_after).");
        _tipsAnnounced = factory.CreateCounter("resistancebot_tips_announced_total", "New tips announced to moderators, counted when each randomly timed batch of notices goes out (never when a tip arrives).");
        _feedPolls = factory.CreateCounter("resistancebot_feed_polls_total", "Polls of followed feeds, by outcome: ok or failed.", "outcome");
        var failing = factory.CreateGauge("resistancebot_feeds_failing", "Followed feeds whose last poll failed.");
        var pending = factory.CreateGauge("resistancebot_outbox_pending", "Deliveries waiting in the outbox (the queue depth).");
        var leader = factory.CreateGauge("resistancebot_leader", "1 when this instance runs the fan-out and the scheduled jobs.");
        Registry.AddBeforeCollectCallback(async ct =>
        {
            leader.Set(leadership.IsLeader ? 1 : 0);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
                pending.Set(await db.Outbox.CountAsync(o => o.State == OutboxState.Pending, ct));
                failing.Set(await db.Feeds.CountAsync(f => f.Failures > 0, ct));
            }
            catch (System.Data.Common.DbException)
            {
                pending.Unpublish(); // unknown rather than stale; /healthz says why
                failing.Unpublish();
            }
        });
    }

    public CollectorRegistry Registry { get; }

    public void UpdateHandled(global::Telegram.Bot.Types.Enums.UpdateType type) => _updates.WithLabels(TypeLabel(type)).Inc();

    public void DuplicateUpdate() => _duplicates.Inc();

    public void HandlerFailed() => _handlerErrors.Inc();

    public void Sent(SendStatus status) => (status switch
    {
        SendStatus.Sent => _sent,
        SendStatus.RecipientGone => _recipientGone,
        SendStatus.Rejected => _rejected,
        _ => _failed,
    }).Inc();

    public void TooManyRequests() => _tooManyRequests.Inc();

    public void TipsAnnounced(int count) => _tipsAnnounced.Inc(count);

    public void FeedPolled(bool ok) => _feedPolls.WithLabels(ok ? "ok" : "failed").Inc();

    private static string TypeLabel(global::Telegram.Bot.Types.Enums.UpdateType type) => type switch
    {
        global::Telegram.Bot.Types.Enums.UpdateType.Message => "message",
        global::Telegram.Bot.Types.Enums.UpdateType.CallbackQuery => "callback_query",
        global::Telegram.Bot.Types.Enums.UpdateType.MyChatMember => "my_chat_member",
        _ => "other",
    };
}
