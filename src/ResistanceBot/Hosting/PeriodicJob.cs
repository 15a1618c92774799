using ResistanceBot.Storage;

namespace ResistanceBot.Hosting;

/// <summary>
/// A job that runs once per bot, on the leading instance (<see cref="Leadership"/>): as it starts to lead and then every
/// <see cref="Period"/>, in a scope of its own. A database error is logged and the job simply runs again next time: it never
/// stops the host.
/// </summary>
internal abstract partial class PeriodicJob(IServiceScopeFactory scopes, Leadership leadership, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    protected abstract TimeSpan Period { get; }

    protected abstract Task RunAsync(BotDbContext db, CancellationToken ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeadingAsync(RunWhileLeadingAsync, stoppingToken);

    private async Task RunWhileLeadingAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, Time);
        do
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
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "{Job} could not reach the database; it runs again in {Minutes} min")]
    private static partial void LogFailed(ILogger logger, string job, double minutes, Exception exception);
}
