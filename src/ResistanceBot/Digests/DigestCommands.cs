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
        services.AddHostedService<EditionScheduler>();
        services.AddCommand<DigestCommand>("digest");
        services.AddCommand<PreviewCommand>("preview", StaffRole.Editor);
        services.AddCommand<PublishCommand>("publish", StaffRole.Editor);
        return services;
    }
}

/// <summary>/digest: the latest edition, in the reader's language.</summary>
internal sealed class DigestCommand : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var edition = await EditionService.LatestAsync(context.Db, ct);
        if (edition is null)
        {
            await context.ReplyAsync(context.T("digest.none"), ct: ct);
            return;
        }

        foreach (var part in edition.Parts.Where(p => p.Language == context.Language).OrderBy(p => p.Index))
        {
            if (!(await context.ReplyAsync(part.Html, ct: ct)).Ok)
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
            if (!(await context.ReplyAsync(part, ct: ct)).Ok)
            {
                return;
            }
        }
    }
}

/// <summary>/publish: releases the next edition now instead of at the scheduled time.</summary>
internal sealed class PublishCommand(EditionService editions, DeliveryProgress progress) : ICommandHandler
{
    public async Task HandleAsync(BotContext context, CancellationToken ct)
    {
        var release = await editions.ReleaseAsync(context.Db, context.UserId, ct);
        if (release is null)
        {
            await context.ReplyAsync(context.T("preview.none"), ct: ct);
            return;
        }

        var (edition, now, later) = release;
        await context.AuditAsync("publish", "edition:" + edition.Number, ct: ct);
        await context.ReplyAsync(context.T("publish.done", edition.Number, edition.Items.Count, now, later), ct: ct);
        var figures = await progress.FiguresAsync(context.Db, edition.Id, ct);
        var sent = await context.ReplyAsync(progress.Text(context.Language, edition.Number, figures, null), ct: ct);
        if (sent.Ok)
        {
            progress.Track(context.Db, edition.Id, context.ChatId, sent.MessageId, context.Language, figures.Sent);
            await context.Db.SaveChangesAsync(ct);
        }
    }
}
