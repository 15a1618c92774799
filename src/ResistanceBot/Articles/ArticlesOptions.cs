using System.ComponentModel.DataAnnotations;

namespace ResistanceBot.Articles;

internal sealed class ArticlesOptions
{
    public const string Section = "Articles";

    [Range(5, 1440, ErrorMessage = "Articles:PollIntervalMinutes must be between 5 and 1440.")]
    public int PollIntervalMinutes { get; set; } = 30;

    [Range(2, 120, ErrorMessage = "Articles:FetchTimeoutSeconds must be between 2 and 120.")]
    public int FetchTimeoutSeconds { get; set; } = 20;

    [Range(10_000, 50_000_000, ErrorMessage = "Articles:MaxDownloadBytes must be between 10000 and 50000000.")]
    public int MaxDownloadBytes { get; set; } = 5_000_000;

    /// <summary>Items older than this are not offered as candidates (a newly added feed brings its whole archive).</summary>
    [Range(1, 60, ErrorMessage = "Articles:MaxAgeDays must be between 1 and 60.")]
    public int MaxAgeDays { get; set; } = 3;

    /// <summary>
    /// Tests and the sandbox only: host names that resolve to the given loopback address and count as public sites. The bot
    /// refuses to start with any outside the Testing and Sandbox environments (<see cref="ArticlesOptionsValidator"/>).
    /// </summary>
    public Dictionary<string, string> TestHosts { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
