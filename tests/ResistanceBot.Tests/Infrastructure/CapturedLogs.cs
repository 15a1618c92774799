using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// Every log line the host writes, as it would be printed (message, then the exception with its stack), with the wall-clock
/// time a real log would carry (the bot's own clock may be a fake one).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, int EventId, string Text, DateTimeOffset At)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, int EventId, string Text, DateTimeOffset At)> Lines => [.. _lines];

    public string AllText => string.Join("\n", _lines.Select(l => $"{l.Level} {l.Category} [{l.EventId}] {l.Text}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // Everything, Trace included: a leak at any level is a leak.
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            owner._lines.Enqueue((logLevel, category, eventId.Id, formatter(state, exception) + " " + structured + (exception is null ? "" : "\n" + exception), TimeProvider.System.GetUtcNow()));
        }
    }
}
