namespace ResistanceBot.Telegram;

/// <summary>
/// An exception stripped of its message for logging: the type and stack trace say where a bug is, while messages may quote
/// input ("The input string 'xyz' was not in a correct format"), which can be a reader's text (privacy promise 8).
/// </summary>
internal sealed class SafeException : Exception
{
    private readonly string? _stackTrace;

    private SafeException(Exception original)
        : base(original.GetType().FullName, original.InnerException is null ? null : From(original.InnerException))
    {
        _stackTrace = original.StackTrace;
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
    }

    public string OriginalType { get; }

    public override string? StackTrace => _stackTrace;

    public static Exception From(Exception e) => e as SafeException ?? new SafeException(e);
}
