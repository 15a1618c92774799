using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using ResistanceBot.Privacy;
using ResistanceBot.Vault;

/// <summary>
/// --vault: what sealing to the vault costs, beside the DataKey's AES-GCM it replaced, in the same run: a 20 MB file sealed and
/// opened (median of 7, and bytes allocated per byte of file), and one unlock at the cost `vault init` measures on this machine.
/// </summary>
internal static class VaultBenchmark
{
    private const int Size = 20 * 1000 * 1000;

    public static void Run()
    {
        Console.WriteLine($"ResistanceBot vault benchmark: a {Size / 1_000_000} MB file, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var file = RandomNumberGenerator.GetBytes(Size);
        using var key = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var publicKey = SealedBox.PublicKeyOf(key);
        var sealer = new DataSealer(Options.Create(new SecurityOptions { DataKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }));

        byte[] sealedBox = [];
        var (seal, _, sealBytes) = Timing.Measure(() => sealedBox = SealedBox.Seal(publicKey, file, "tip file"));
        var (open, _, openBytes) = Timing.Measure(() => SealedBox.Open(key, sealedBox, "tip file"));
        byte[] aes = [];
        var (aesSeal, _, aesBytes) = Timing.Measure(() => aes = sealer.Seal(file, "tip file"));
        Console.WriteLine($"seal to the vault: {seal:0.0} ms (median of {Timing.Runs}), {sealBytes / (double)Size:0.00} bytes allocated per byte of file; sealed size {sealedBox.Length / (double)Size:0.000} × the file (Padmé)");
        Console.WriteLine($"open from the vault: {open:0.0} ms, {openBytes / (double)Size:0.00} bytes allocated per byte of file");
        Console.WriteLine($"the DataKey's AES-GCM, same file, same run: {aesSeal:0.0} ms, {aesBytes / (double)Size:0.00} bytes per byte; vault / AES-GCM = {seal / aesSeal:0.00}");
        Console.WriteLine($"targets: seal < 100 ms and < 2 × the file in memory: {(seal < 100 && sealBytes < 2.0 * Size ? "met" : "NOT met")}");

        var clock = Stopwatch.StartNew();
        var cost = PassphraseWrap.Calibrate(TimeSpan.FromSeconds(1));
        Console.WriteLine($"vault init's calibration: Argon2id {cost.MemoryKiB / 1024} MiB × {cost.Passes} passes (measured in {clock.Elapsed.TotalSeconds:0.0} s)");
        var wrap = PassphraseWrap.Wrap(key.Export(KeyBlobFormat.RawPrivateKey), publicKey, "a passphrase for the benchmark", cost);
        clock.Restart();
        using var unlocked = PassphraseWrap.Unwrap(wrap, publicKey, "a passphrase for the benchmark");
        Console.WriteLine($"one unlock: {clock.Elapsed.TotalMilliseconds:0} ms (a wrong passphrase costs the same)");
    }
}
