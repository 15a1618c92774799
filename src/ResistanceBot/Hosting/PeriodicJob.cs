using ResistanceBot.Storage;

namespace ResistanceBot.Hosting;

/// <summary>
/// A job that runs once per bot, on the leading instance (<see cref="Leadership"/>): as it starts to lead and then a
/// <see cref="Period"/> after each run, in a scope of its own. A database error is logged and the job simply runs again next
/// time: it never stops the host. (After the clock jumps, say a suspended machine waking, it runs once, not once per period
/// missed, as a PeriodicTimer would.)
/// </summary>
internal abstract partial class PeriodicJob(IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    protected abstract TimeSpan Period { get; }

    /// <summary>How long after taking the lead the first run waits (none by default).</summary>
    protected virtual TimeSpan FirstDelay => TimeSpan.Zero;

    protected abstract Task RunAsync(BotDbContext db, CancellationToken ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(RunWhileLeadingAsync, stoppingToken);

    private async Task RunWhileLeadingAsync(CancellationToken stoppingToken)
    {
        if (FirstDelay > TimeSpan.Zero)
        {
            await Task.Delay(FirstDelay, Time, stoppingToken);
        }

        while (true)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await RunAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), stoppingToken);
            }
            catch (System.Data.Common.DbException e)
            {
                LogFailed(logger, GetType().Name, Period.TotalMinutes, e);
            }

            await Task.Delay(Period, Time, stoppingToken);
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "{Job} could not reach the database; it runs again in {Minutes} min")]
    private static partial void LogFailed(ILogger logger, string job, double minutes, Exception exception);
}
