using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ResistanceBot.Privacy;

namespace ResistanceBot.Tests.Unit;

public sealed class PrivacyPrimitivesTests
{
    private static string Key() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static DataSealer Sealer(string current, params string[] previous) =>
        new(Options.Create(new SecurityOptions { DataKey = current, PseudonymKey = Key(), PreviousDataKeys = [.. previous] }));

    [Fact]
    public void Sealed_data_opens_with_its_key_and_purpose_and_differs_every_time()
    {
        var sealer = Sealer(Key());
        var a = sealer.SealInt64(6_987_654_321, Purposes.SubscriberChat);
        var b = sealer.SealInt64(6_987_654_321, Purposes.SubscriberChat);

        Assert.NotEqual(a, b); // fresh nonce each time: equal chat ids do not give equal ciphertexts
        Assert.Equal(6_987_654_321, sealer.OpenInt64(a, Purposes.SubscriberChat));
        Assert.ThrowsAny<CryptographicException>(() => sealer.OpenInt64(a, "another purpose"));
    }

    [Fact]
    public void Altered_ciphertext_does_not_open()
    {
        var sealer = Sealer(Key());
        var sealedData = sealer.Seal("tip text"u8, "tip");
        sealedData[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => sealer.Open(sealedData, "tip"));
    }

    [Fact]
    public void After_a_key_rotation_old_rows_open_with_the_previous_key_and_new_rows_use_the_new_one()
    {
        var oldKey = Key();
        var newKey = Key();
        var before = Sealer(oldKey).SealInt64(42, Purposes.SubscriberChat);

        var rotated = Sealer(newKey, oldKey);
        Assert.Equal(42, rotated.OpenInt64(before, Purposes.SubscriberChat));
        var after = rotated.SealInt64(43, Purposes.SubscriberChat);
        Assert.Throws<CryptographicException>(() => Sealer(oldKey).OpenInt64(after, Purposes.SubscriberChat));
        Assert.Throws<CryptographicException>(() => Sealer(newKey).OpenInt64(before, Purposes.SubscriberChat));
    }

    [Fact]
    public void Pseudonyms_are_stable_per_key_and_unrelated_across_purposes_and_keys()
    {
        var key = Key();
        var p = new Pseudonyms(Options.Create(new SecurityOptions { PseudonymKey = key }));
        var other = new Pseudonyms(Options.Create(new SecurityOptions { PseudonymKey = Key() }));

        Assert.Equal(p.Of(Purposes.Reader, 7), p.Of(Purposes.Reader, 7));
        Assert.NotEqual(p.Of(Purposes.Reader, 7), p.Of(Purposes.Reader, 8));
        Assert.NotEqual(p.Of(Purposes.Reader, 7), p.Of(Purposes.SubscriberChat, 7));
        Assert.NotEqual(p.Of(Purposes.Reader, 7), other.Of(Purposes.Reader, 7));
    }

    [Theory]
    [InlineData(null, "Security:DataKey is not set")]
    [InlineData("c2hvcnQ=", "Security:DataKey must be base64 of 32 random bytes")]
    public void A_bad_data_key_is_named_in_one_sentence(string? dataKey, string expected)
    {
        var result = new SecurityOptionsValidator().Validate(null, new SecurityOptions { DataKey = dataKey, PseudonymKey = Key() });
        Assert.StartsWith(expected, Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_key_for_both_purposes_is_refused()
    {
        var key = Key();
        var result = new SecurityOptionsValidator().Validate(null, new SecurityOptions { DataKey = key, PseudonymKey = key });
        Assert.StartsWith("Security:PseudonymKey must differ", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
