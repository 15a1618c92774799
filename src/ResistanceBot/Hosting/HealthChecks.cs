using Microsoft.Extensions.Diagnostics.HealthChecks;
using ResistanceBot.Storage;
using Telegram.Bot;

namespace ResistanceBot.Hosting;

internal sealed class DatabaseHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The database is not reachable.");
    }
}

/// <summary>The Bot API answers getMe; the answer is cached briefly so that a busy probe does not hammer Telegram.</summary>
internal sealed class BotApiHealthCheck(ITelegramBotClient bot, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private (DateTimeOffset At, HealthCheckResult Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_last is { } last && time.GetUtcNow() - last.At < CacheFor)
        {
            return last.Result;
        }

        HealthCheckResult result;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await bot.GetMe(cts.Token);
            result = HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is global::Telegram.Bot.Exceptions.RequestException or HttpRequestException or OperationCanceledException)
        {
            result = HealthCheckResult.Unhealthy("The Bot API is not reachable.");
        }

        _last = (time.GetUtcNow(), result);
        return result;
    }
}
