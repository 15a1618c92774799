using Microsoft.Extensions.Options;
using Npgsql;

namespace ResistanceBot.Storage;

/// <summary>
/// Which instance runs the jobs that must run once per bot, not once per instance: the fan-out (so that the bot stays inside
/// Telegram's per-token limits), the scheduled edition, feed polling, progress messages and retention. On PostgreSQL it is
/// the holder of a session advisory lock, held on a connection of its own and checked every <see cref="Check"/>; when that
/// instance dies, the server drops its connection and the lock, and another instance takes over at its next try. A SQLite
/// database serves one instance, which always leads.
/// </summary>
internal sealed partial class Leadership(IOptions<DatabaseOptions> options, ILogger<Leadership> logger) : BackgroundService
{
    /// <summary>How often a follower tries the lock and the leader checks it still holds it.</summary>
    internal static readonly TimeSpan Check = TimeSpan.FromSeconds(2);

    // "RBLEADER": one lock per database (PostgreSQL scopes advisory locks to the current database).
    private const long LockKey = 0x52_42_4C_45_41_44_45_52;

    private TaskCompletionSource<CancellationToken> _elected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _term;

    public bool IsLeader => _term is { IsCancellationRequested: false };

    /// <summary>Waits until this instance leads; the token returned is cancelled when it stops leading.</summary>
    public Task<CancellationToken> WaitAsync(CancellationToken ct) => Volatile.Read(ref _elected).Task.WaitAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Provider != DatabaseProvider.Postgres)
        {
            Elect();
            return;
        }

        var csb = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString)
        {
            Pooling = false,          // the lock lives as long as this one connection, never returned to a pool
            KeepAlive = 5,
            TcpKeepAlive = true,
            CommandTimeout = 5,
            ApplicationName = "resistancebot-leader",
        };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A follower keeps its connection and asks again every Check, until the lock is free.
                await using var connection = new NpgsqlConnection(csb.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
                {
                    take.Parameters.AddWithValue("key", LockKey);
                    while (await take.ExecuteScalarAsync(stoppingToken) is not true)
                    {
                        await Task.Delay(Check, stoppingToken);
                    }
                }

                Elect();
                LogElected(logger);
                try
                {
                    await using var alive = new NpgsqlCommand("SELECT 1", connection);
                    while (true)
                    {
                        await Task.Delay(Check, stoppingToken);
                        await alive.ExecuteScalarAsync(stoppingToken);
                    }
                }
                finally
                {
                    Resign();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break; // closing the connection releases the lock
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogLost(logger, e.GetType().Name);
                await Task.Delay(Check, stoppingToken);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Resign();
    }

    private void Elect()
    {
        var term = new CancellationTokenSource();
        _term = term;
        _elected.TrySetResult(term.Token);
    }

    private void Resign()
    {
        if (Interlocked.Exchange(ref _term, null) is not { } term)
        {
            return;
        }

        Volatile.Write(ref _elected, new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously));
        term.Cancel(); // not disposed: a worker may still be linking its token to it (one small object per change of leader)
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "This instance now leads: it runs the fan-out and the scheduled jobs")]
    private static partial void LogElected(ILogger logger);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Leadership lost or not reachable ({Error}); another instance may take over")]
    private static partial void LogLost(ILogger logger, string error);
}

internal static class LeadershipExtensions
{
    /// <summary>
    /// Runs <paramref name="work"/> whenever this instance leads, with a token cancelled when it stops leading or the host
    /// stops; returns when the host stops.
    /// </summary>
    public static async Task WhileLeadingAsync(this Leadership leadership, Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var term = await leadership.WaitAsync(stoppingToken);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, term);
            try
            {
                await work(linked.Token);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
            }

            if (!term.IsCancellationRequested)
            {
                return; // the work is done, or the host stops
            }

            // Leadership moved to another instance: wait to lead again.
        }
    }
}
