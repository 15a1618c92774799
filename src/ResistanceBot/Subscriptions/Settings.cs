using System.Globalization;
using Microsoft.Extensions.Options;
using ResistanceBot.Digests;
using ResistanceBot.Localization;
using ResistanceBot.Telegram;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace ResistanceBot.Subscriptions;

/// <summary>/settings: one message with the reader's settings, changed in place by its buttons.</summary>
internal sealed class SettingsCommand(IOptions<DigestOptions> digest) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var topics = await Articles.TopicNames.AllAsync(context.Db, ct);
        await context.ReplyAsync(SettingsView.Text(context, digest.Value, topics), SettingsView.MainKeyboard(context, topics.Count > 0), ct);
    }
}

internal static class SettingsView
{
    public static string Text(BotContext context, DigestOptions digest, IReadOnlyList<Articles.Topic> topics)
    {
        var reader = context.Reader;
        var language = Localizer.Languages.First(l => l.Code == context.Language).Name;
        var zone = Zone(context, reader?.TimeZone ?? digest.TimeZone);
        var text = context.T(
            "settings.text",
            language,
            zone,
            DigestTime(context, digest),
            context.T(reader?.IsSubscribed == true ? "settings.subscribed.yes" : "settings.subscribed.no"));
        // Topics are shown once editors keep some: before that there is nothing to choose.
        return topics.Count == 0 ? text : text + "\n" + context.T("settings.topics.line", Articles.TopicNames.Describe(topics, reader?.Topics, context.Language, context.Strings));
    }

    public static string DigestTime(BotContext context, DigestOptions digest)
    {
        if (context.Reader?.DigestHour is { } hour)
        {
            return context.T("digest.at", hour.ToString("00", CultureInfo.InvariantCulture) + ":00");
        }

        return context.T("digest.asap", digest.EditionTime, Zone(context, digest.TimeZone));
    }

    public static string Zone(BotContext context, string id) => TimeZones.Label(context.Strings, context.Language, id);

    public static InlineKeyboardMarkup MainKeyboard(BotContext context, bool hasTopics) => new(
    [
        [Button(context.T("settings.button.language"), "lang"), Button(context.T("settings.button.zone"), "tz")],
        hasTopics ? [Button(context.T("settings.button.hour"), "hour"), Button(context.T("settings.button.topics"), "top")] : [Button(context.T("settings.button.hour"), "hour")],
        [context.Reader?.IsSubscribed == true
            ? Button(context.T("settings.button.unsubscribe"), "sub:off")
            : Button(context.T("settings.button.subscribe"), "sub:on")],
    ]);

    public static InlineKeyboardButton Button(string label, string action) =>
        InlineKeyboardButton.WithCallbackData(label, SettingsButtons.Prefix + ":" + action);
}

/// <summary>The buttons under /settings. Every value is checked against what the bot offers, so a forged press changes nothing.</summary>
internal sealed class SettingsButtons(IOptions<DigestOptions> digest) : ICallbackHandler
{
    public const string Prefix = "set";

    public async Task HandleAsync(BotContext context, CallbackQuery query, string data, CancellationToken ct)
    {
        if (query.Message is not { } message)
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        var parts = data.Split(':', 2);
        var (action, value) = (parts[0], parts.Length > 1 ? parts[1] : null);
        var topics = await Articles.TopicNames.AllAsync(context.Db, ct);
        if (action == "top")
        {
            await TopicsAsync(context, query, message, topics, value, ct);
            return;
        }

        InlineKeyboardMarkup? submenu = (action, value) switch
        {
            ("lang", null) => Grid(Localizer.Languages.Select(l => SettingsView.Button(l.Name, "lang:" + l.Code)), 3, context),
            ("tz", null) => Zones(context, "tz"),
            ("tzo", null) => Offsets(context, "tz"),
            // The hour is the reader's local hour, so a reader without a zone is asked for it first ("tzh": zone, then hour).
            ("hour", null) when context.Reader?.TimeZone is null => Zones(context, "tzh"),
            ("tzho", null) => Offsets(context, "tzh"),
            ("hour", null) => Hours(context),
            _ => null,
        };

        if (submenu is not null)
        {
            var title = action switch
            {
                "tzo" => "settings.choose.tz",
                "hour" or "tzho" when context.Reader?.TimeZone is null => "settings.choose.tz.first",
                _ => "settings.choose." + action,
            };
            await context.Sender.AnswerCallbackAsync(query.Id, ct: ct);
            await context.EditAsync(message.Id, context.T(title), submenu, ct);
            return;
        }

        if (action == "tzh" && value is not null && Apply(context, "tz", value))
        {
            await context.Db.SaveChangesAsync(ct);
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("settings.saved"), ct);
            await context.EditAsync(message.Id, context.T("settings.choose.hour"), Hours(context), ct);
            return;
        }

        if (action != "menu" && !Apply(context, action, value))
        {
            await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
            return;
        }

        await context.Db.SaveChangesAsync(ct);
        await context.Sender.AnswerCallbackAsync(query.Id, action == "menu" ? null : context.T("settings.saved"), ct);
        await context.EditAsync(message.Id, SettingsView.Text(context, digest.Value, topics), SettingsView.MainKeyboard(context, topics.Count > 0), ct);
    }

    /// <summary>The topics menu: each topic a toggle (✅ chosen), and "all topics" to clear the choice. Only listed topics are taken.</summary>
    private static async Task TopicsAsync(BotContext context, CallbackQuery query, Message message, List<Articles.Topic> topics, string? value, CancellationToken ct)
    {
        if (value is not null)
        {
            if (value != "all" && topics.All(t => t.Key != value))
            {
                await context.Sender.AnswerCallbackAsync(query.Id, context.T("button.stale"), ct);
                return;
            }

            var reader = context.GetOrCreateReader();
            reader.Topics = value == "all" ? "" : Articles.TopicSets.Toggle(reader.Topics, value);
            await context.Db.SaveChangesAsync(ct);
        }

        await context.Sender.AnswerCallbackAsync(query.Id, value is null ? null : context.T("settings.saved"), ct);
        var chosen = Articles.TopicSets.Keys(context.Reader?.Topics);
        var buttons = topics.Select(t => SettingsView.Button((chosen.Contains(t.Key) ? "✅ " : "▫️ ") + t.Name(context.Language), "top:" + t.Key))
            .Append(SettingsView.Button((chosen.Length == 0 ? "✅ " : "▫️ ") + context.T("settings.topics.all"), "top:all"));
        await context.EditAsync(message.Id, context.T("settings.choose.topics", Articles.TopicNames.Describe(topics, context.Reader?.Topics, context.Language, context.Strings)), Grid(buttons, 2, context), ct);
    }

    private static bool Apply(BotContext context, string action, string? value)
    {
        switch (action, value)
        {
            case ("lang", { } language) when Localizer.IsSupported(language):
                context.GetOrCreateReader().Language = language;
                return true;
            case ("tz", { } zone) when TimeZones.Find(zone) is not null:
                context.GetOrCreateReader().TimeZone = zone;
                return true;
            case ("hour", "now"):
                context.GetOrCreateReader().DigestHour = null;
                return true;
            case ("hour", { } h) when int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var hour) && hour is >= 0 and < 24:
                context.GetOrCreateReader().DigestHour = hour;
                return true;
            case ("sub", "on"):
                Subscription.Start(context);
                return true;
            case ("sub", "off"):
                if (context.Reader is { } reader)
                {
                    Subscription.End(reader);
                }

                return true;
            default:
                return false;
        }
    }

    private static InlineKeyboardMarkup Zones(BotContext context, string action) => Grid(
        TimeZones.Likely.Select(z => SettingsView.Button(SettingsView.Zone(context, z), action + ":" + z))
            .Append(SettingsView.Button(context.T("settings.button.offsets"), action == "tz" ? "tzo" : "tzho")), 3, context);

    private static InlineKeyboardMarkup Offsets(BotContext context, string action) =>
        Grid(TimeZones.Offsets.Select(h => SettingsView.Button(SettingsView.Zone(context, TimeZones.OffsetId(h)), action + ":" + TimeZones.OffsetId(h))), 4, context);

    private static InlineKeyboardMarkup Hours(BotContext context) => Grid(
        new[] { SettingsView.Button(context.T("settings.button.asap"), "hour:now") }
            .Concat(Enumerable.Range(0, 24).Select(h => SettingsView.Button(h.ToString("00", CultureInfo.InvariantCulture) + ":00", "hour:" + h.ToString(CultureInfo.InvariantCulture)))),
        4,
        context);

    private static InlineKeyboardMarkup Grid(IEnumerable<InlineKeyboardButton> buttons, int perRow, BotContext context)
    {
        var rows = buttons.Chunk(perRow).Select(r => (IEnumerable<InlineKeyboardButton>)r).ToList();
        rows.Add([SettingsView.Button(context.T("settings.button.back"), "menu")]);
        return new InlineKeyboardMarkup(rows);
    }
}
