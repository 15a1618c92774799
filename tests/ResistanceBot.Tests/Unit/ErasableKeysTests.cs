using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ResistanceBot.Hosting;
using ResistanceBot.Privacy;
using ResistanceBot.Storage;
using ResistanceBot.Tests.Infrastructure;

namespace ResistanceBot.Tests.Unit;

/// <summary>The keys behind promise 3: made per period, kept sealed in the database, erased with everything they could open.</summary>
public sealed class ErasableKeysTests : IAsyncDisposable
{
    private static readonly KeyScope Weekly = new(9, "weekly", 7);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2031, 3, 12, 13, 37, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services;

    public ErasableKeysTests()
    {
        var database = TestDatabase.New();
        var configuration = new ConfigurationBuilder().AddCommandLine(
        [
            .. database.Settings,
            $"--Security:DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            $"--Security:PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
        ]).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(_clock);
        services.AddPrivacy(configuration).AddStorage(configuration).AddSingleton(Weekly);
        _services = services.BuildServiceProvider();
        using var scope = _services.CreateScope();
        scope.ServiceProvider.GetRequiredService<BotDbContext>().Database.Migrate();
    }

    private ErasableKeys Keys => _services.GetRequiredService<ErasableKeys>();

    private async Task<int> EraseAsync()
    {
        await using var scope = _services.CreateAsyncScope();
        var erased = await ErasableKeys.EraseExpiredAsync(scope.ServiceProvider.GetRequiredService<BotDbContext>(), _clock, default);
        Keys.Invalidate();
        return erased;
    }

    [Fact]
    public async Task A_key_serves_its_period_opens_during_the_next_and_is_gone_after_it_with_all_it_sealed()
    {
        var first = await Keys.CurrentAsync(Weekly, default);
        var tag = first.Tag("tip sender", 42);
        var sealedId = first.SealInt64(42, "route");
        Assert.Equal(tag, (await Keys.CurrentAsync(Weekly, default)).Tag("tip sender", 42));
        Assert.NotEqual(tag, first.Tag("tip draft", 42));
        Assert.NotEqual(tag, first.Tag("tip sender", 43));

        // The next period: a new key makes new values; the old one still opens what it sealed.
        _clock.Advance(first.EndsOn - _clock.GetUtcNow().UtcDateTime);
        var second = await Keys.CurrentAsync(Weekly, default);
        Assert.NotEqual(tag, second.Tag("tip sender", 42));
        Assert.Equal([second.FirstDay, first.FirstDay], (await Keys.LiveAsync(Weekly, default)).Select(k => k.FirstDay));
        Assert.Equal(42, await Keys.OpenInt64Async(sealedId, "route", default));
        Assert.Equal(0, await EraseAsync());

        // After it: erased from the table, from memory, and nothing it sealed opens any more.
        _clock.Advance(first.ErasedOn - _clock.GetUtcNow().UtcDateTime);
        Assert.Equal(1, await EraseAsync());
        Assert.Null(await Keys.OpenInt64Async(sealedId, "route", default));
        Assert.All(first.Material, b => Assert.Equal(0, b));
        Assert.Equal([second.FirstDay + 7, second.FirstDay], (await Keys.LiveAsync(Weekly, default)).Select(k => k.FirstDay));
    }

    [Fact]
    public async Task A_key_opens_only_for_its_purpose_and_is_stored_only_sealed()
    {
        var key = await Keys.CurrentAsync(Weekly, default);
        var sealedText = key.Seal("words"u8, "tip draft");
        await Assert.ThrowsAnyAsync<CryptographicException>(async () => await Keys.OpenAsync(sealedText, "outbox message", default));

        await using var scope = _services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<BotDbContext>().ErasableKeys.SingleAsync(k => k.Scope == Weekly.Id);
        Assert.Equal(-1, row.SealedKey.AsSpan().IndexOf(key.Material));
        Assert.Equal(key.Material, _services.GetRequiredService<DataSealer>().Open(row.SealedKey, ErasableKeys.Purpose));
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
