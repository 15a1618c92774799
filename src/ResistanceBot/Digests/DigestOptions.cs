using Microsoft.Extensions.Options;

namespace ResistanceBot.Digests;

internal sealed class DigestOptions
{
    public const string Section = "Digest";

    /// <summary>Local time ("HH:mm") at which the daily edition is assembled and released.</summary>
    public string EditionTime { get; set; } = "07:00";

    /// <summary>IANA id of the zone <see cref="EditionTime"/> is in.</summary>
    public string TimeZone { get; set; } = "Europe/Kyiv";

    /// <summary>A Telegram channel (its id, such as -1001234567890) that each edition is also posted to; none when unset.</summary>
    public long? ChannelId { get; set; }

    /// <summary>The language of the edition posted to <see cref="ChannelId"/>: en, ru or uk.</summary>
    public string ChannelLanguage { get; set; } = Localization.Localizer.Default;

    public TimeOnly Time => TimeOnly.ParseExact(EditionTime, "HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

internal sealed class DigestOptionsValidator : IValidateOptions<DigestOptions>
{
    public ValidateOptionsResult Validate(string? name, DigestOptions options)
    {
        var failures = new List<string>();
        if (!TimeOnly.TryParseExact(options.EditionTime, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
        {
            failures.Add("Digest:EditionTime must be a time of day as HH:mm, such as 07:00.");
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone, out _))
        {
            failures.Add("Digest:TimeZone must be an IANA time zone id, such as Europe/Kyiv.");
        }

        if (!Localization.Localizer.IsSupported(options.ChannelLanguage))
        {
            failures.Add("Digest:ChannelLanguage must be en, ru or uk.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
