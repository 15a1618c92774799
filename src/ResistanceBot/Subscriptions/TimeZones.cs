using System.Globalization;

namespace ResistanceBot.Subscriptions;

/// <summary>
/// The time zones offered in /settings: where most readers live, then whole-hour UTC offsets for everyone else.
/// A reader's choice is stored as the IANA id or as "UTC+03:00".
/// </summary>
internal static class TimeZones
{
    /// <summary>
    /// The next instant whose local time in <paramref name="zone"/> is <paramref name="timeOfDay"/>. A local time skipped by a
    /// DST change counts from the first valid instant after it.
    /// </summary>
    public static DateTimeOffset Next(DateTimeOffset from, TimeSpan timeOfDay, TimeZoneInfo zone, bool inclusive)
    {
        var local = TimeZoneInfo.ConvertTime(from, zone).DateTime;
        for (var day = 0; day < 3; day++)
        {
            var candidate = DateTime.SpecifyKind(local.Date.AddDays(day).Add(timeOfDay), DateTimeKind.Unspecified);
            while (zone.IsInvalidTime(candidate))
            {
                candidate = candidate.AddMinutes(15);
            }

            var utc = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(candidate, zone), TimeSpan.Zero);
            if (utc > from || (inclusive && utc == from))
            {
                return utc;
            }
        }

        throw new InvalidOperationException("No such local time within three days.");
    }

    public static readonly IReadOnlyList<string> Likely =
    [
        "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk",
        "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Europe/Kyiv", "Europe/Minsk",
        "Europe/Berlin", "Europe/London", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Almaty", "Asia/Jerusalem",
    ];

    public static readonly IReadOnlyList<int> Offsets = Enumerable.Range(-12, 27).ToList();

    public static string OffsetId(int hours) =>
        hours == 0 ? "UTC" : string.Create(CultureInfo.InvariantCulture, $"UTC{(hours < 0 ? '-' : '+')}{Math.Abs(hours):00}:00");

    /// <summary>Null when <paramref name="id"/> is not one the bot offers (a forged button, say).</summary>
    public static TimeZoneInfo? Find(string? id)
    {
        if (id is null)
        {
            return null;
        }

        if (Likely.Contains(id))
        {
            return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
        }

        var hours = Offsets.FirstOrDefault(h => OffsetId(h) == id, int.MinValue);
        return hours == int.MinValue ? null : TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromHours(hours), id, id);
    }

    /// <summary>
    /// A zone's name in the reader's language ("Москва" for Europe/Moscow), an offset with the local word for UTC ("Гринвич+03:00");
    /// a zone the strings do not name (a configured default) by its city, as the IANA id spells it.
    /// </summary>
    public static string Label(Localization.Localizer strings, string language, string id)
    {
        if (id.StartsWith("UTC", StringComparison.Ordinal))
        {
            return strings.Get(language, "zone.utc") + id[3..];
        }

        return strings.All(Localization.Localizer.Default).ContainsKey("zone." + id)
            ? strings.Get(language, "zone." + id)
            : id[(id.LastIndexOf('/') + 1)..].Replace('_', ' ');
    }
}
