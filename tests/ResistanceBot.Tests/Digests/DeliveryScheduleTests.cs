using ResistanceBot.Digests;
using ResistanceBot.Subscriptions;

namespace ResistanceBot.Tests.Digests;

public sealed class DeliveryScheduleTests
{
    private static readonly TimeZoneInfo Moscow = TimeZoneInfo.FindSystemTimeZoneById("Europe/Moscow");
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0, int second = 0) => new(2026, month, day, hour, minute, second, TimeSpan.Zero);

    [Fact]
    public void As_soon_as_released_means_at_release() =>
        Assert.Equal(Utc(11, 16, 5), Subscription.DueAt(Utc(11, 16, 5), null, Moscow));

    [Fact]
    public void A_later_hour_today_in_the_readers_zone_is_today() =>
        Assert.Equal(Utc(11, 16, 6), Subscription.DueAt(Utc(11, 16, 5), 9, Moscow)); // 09:00 MSK = 06:00 UTC

    [Fact]
    public void An_hour_already_past_today_is_tomorrow() =>
        Assert.Equal(Utc(11, 17, 3), Subscription.DueAt(Utc(11, 16, 5), 6, Moscow));

    [Fact]
    public void The_exact_hour_is_now() =>
        Assert.Equal(Utc(11, 16, 6), Subscription.DueAt(Utc(11, 16, 6), 9, Moscow));

    [Fact]
    public void An_hour_skipped_by_the_spring_change_counts_from_the_next_valid_instant() =>
        // 29 March 2026: Berlin jumps from 02:00 to 03:00 CET→CEST; 02:00 local does not exist.
        Assert.Equal(Utc(3, 29, 1), Subscription.DueAt(Utc(3, 28, 23), 2, Berlin));

    [Fact]
    public void A_fixed_UTC_offset_zone_works_as_any_other()
    {
        var zone = ResistanceBot.Subscriptions.TimeZones.Find("UTC+05:00")!;
        Assert.Equal(Utc(11, 16, 3), Subscription.DueAt(Utc(11, 16, 2), 8, zone));
    }

    [Fact]
    public void The_edition_is_released_next_at_the_configured_local_time() =>
        Assert.Equal(Utc(11, 17, 5, 30), EditionScheduler.NextRelease(Utc(11, 16, 5, 30), new TimeOnly(7, 30), TimeZoneInfo.FindSystemTimeZoneById("Europe/Kyiv")));

    [Fact]
    public void The_release_later_the_same_hour_is_today() =>
        Assert.Equal(Utc(11, 16, 5, 30), EditionScheduler.NextRelease(Utc(11, 16, 5, 0, 30), new TimeOnly(7, 30), TimeZoneInfo.FindSystemTimeZoneById("Europe/Kyiv")));
}
