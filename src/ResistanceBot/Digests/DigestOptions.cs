using Microsoft.Extensions.Options;

namespace ResistanceBot.Digests;

internal sealed class DigestOptions
{
    public const string Section = "Digest";

    /// <summary>Local time ("HH:mm") at which the daily edition is assembled and released.</summary>
    public string EditionTime { get; set; } = "07:00";

    /// <summary>IANA id of the zone <see cref="EditionTime"/> is in.</summary>
    public string TimeZone { get; set; } = "Europe/Kyiv";

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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
