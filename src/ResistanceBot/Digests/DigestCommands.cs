using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResistanceBot.Delivery;
using ResistanceBot.Staff;
using ResistanceBot.Telegram;

namespace ResistanceBot.Digests;

internal static class DigestsFeature
{
    public static IServiceCollection AddDigests(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DigestOptions>().Bind(configuration.GetSection(DigestOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DigestOptions>, DigestOptionsValidator>();
        services.AddSingleton<EditionRenderer>();
        services.AddSingleton<EditionService>();
        services.AddSingleton<EditionOutbox>();
        services.AddSingleton<Delivery.IBulkTemplates, EditionTemplates>();
        services.AddHostedService<EditionScheduler>();
        services.AddCommand<DigestCommand>("digest");
        services.AddCallback<ReadHere>(ReadHere.Prefix);
        services.AddSingleton<ReadHereGuard>();
        services.AddCommand<PreviewCommand>("preview", StaffRole.Editor);
        services.AddCommand<PublishCommand>("publish", StaffRole.Editor);
        services.AddConfirmable<PublishEdition>();
        return services;
    }
}

/// <summary>/digest: the latest edition, in the reader's language, with only the reader's topics, as it was sent to them.</summary>
internal sealed class DigestCommand(EditionRenderer renderer, IOptions<DigestOptions> options, IOptions<Archive.ArchiveOptions> archive) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var edition = await context.Db.Editions.AsNoTracking().Include(e => e.Items).OrderByDescending(e => e.Number).FirstOrDefaultAsync(ct);
        if (edition is null)
        {
            await context.ReplyAsync(context.T("digest.none"), ct: ct);
            return;
        }

        var items = edition.Items.OrderBy(i => i.Position).ToList();
        var chosen = items.Where(i => Articles.TopicSets.Reaches(i.Topics, context.Reader?.Topics)).ToList();
        var parts = renderer.Parts(edition.Number, edition.Date, chosen, context.Language, options.Value.Zone, items.Count - chosen.Count, archive.Value.WebCopy(context.Language, edition.Number));
        foreach (var part in parts)
        {
            if (!(await context.ReplyAsync(part.Html, part.Markup, ct)).Ok)
            {
                return;
            }
        }
    }
}

/// <summary>/preview: the next edition exactly as subscribers will see it.</summary>
internal sealed class PreviewCommand(EditionService editions) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var parts = await editions.PreviewAsync(context.Db, context.Language, ct);
        if (parts.Count == 0)
        {
            await context.ReplyAsync(context.T("preview.none"), ct: ct);
            return;
        }

        foreach (var part in parts)
        {
            if (!(await context.ReplyAsync(part.Html, part.Markup, ct)).Ok)
            {
                return;
            }
        }
    }
}

/// <summary>/publish: asks, then releases the next edition now instead of at the scheduled time (<see cref="PublishEdition"/>).</summary>
internal sealed class PublishCommand(Confirmations confirmations) : ICommandHandler
{
    public Task HandleAsync(BotContext context, CancellationToken ct) => confirmations.AskAsync(context, PublishEdition.Name, "next", null, ct);
}

/// <summary>Releasing an edition, once confirmed: it reaches every subscriber and cannot be called back, so the question says to how many.</summary>
internal sealed class PublishEdition(EditionService editions, DeliveryProgress progress) : IConfirmable
{
    public const string Name = "publish";

    public string Action => Name;

    public StaffRole Role => StaffRole.Editor;

    public async Task<Question> AskAsync(BotContext context, string argument, CancellationToken ct)
    {
        var picked = (await EditionService.PickedAsync(context.Db, ct)).Count;
        if (picked == 0)
        {
            return new Question(context.T("preview.none"), null);
        }

        var subscribers = await context.Db.Readers.CountAsync(r => r.SealedChatId != null, ct);
        return new Question(context.T("confirm.publish", picked, subscribers), context.T("confirm.button.publish"));
    }

    public async Task<Done> DoAsync(BotContext context, string argument, string? note, CancellationToken ct)
    {
        var release = await editions.ReleaseAsync(context.Db, context.UserId, ct);
        if (release is null)
        {
            return new Done(context.T("preview.none"));
        }

        var (edition, now, later) = release;
        await context.AuditAsync("publish", "edition:" + edition.Number, ct: ct);
        var figures = await progress.FiguresAsync(context.Db, edition.Id, ct);
        var sent = await context.ReplyAsync(progress.Text(context.Language, edition.Number, figures, null), ct: ct);
        if (sent.Ok)
        {
            progress.Track(context.Db, edition.Id, context.ChatId, sent.MessageId, context.Language, figures.Sent);
            await context.Db.SaveChangesAsync(ct);
        }

        return new Done(context.T("publish.done", edition.Number, edition.Items.Count, now, later));
    }
}
