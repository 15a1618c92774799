namespace ResistanceBot.Tests.Tips.Cleaning;

/// <summary>
/// The cleaners' tests run ffmpeg and exiftool by the dozen and fuzz on every core: alone, so that they do not starve the
/// timing-sensitive delivery tests running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CleanersAlone
{
    public const string Name = "File cleaners";
}
