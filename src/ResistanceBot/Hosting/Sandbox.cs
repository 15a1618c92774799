using System.Security.Cryptography;
using System.Text;
using ResistanceBot.BotApiEmulator;

namespace ResistanceBot.Hosting;

/// <summary>Someone in the sandbox: who they are to the bot, and the language their Telegram app reports.</summary>
internal sealed record SandboxPerson(string Key, long Id, string Name, string Role, string Language);

/// <summary>
/// `sandbox`: the real bot against the built-in Bot API emulator, with a web chat of several people on 127.0.0.1 and a chat
/// for the admin in this terminal. No token, no network: the emulator and the page listen on 127.0.0.1 only, keys are fresh
/// and the database is a throwaway file.
/// </summary>
internal sealed class Sandbox : IAsyncDisposable
{
    internal const long AdminId = 1_000_001;
    internal const long GroupId = -1_000_900;

    /// <summary>The throw-away vault's passphrase, shown to trainees so that they can practise /lock and /unlock.</summary>
    internal const string VaultPassphrase = "sandbox vault passphrase";

    /// <summary>The people of the web chat, in the order the page shows them.</summary>
    internal static readonly IReadOnlyList<SandboxPerson> People =
    [
        new("reader-ru", 1_000_101, "Маша", "reader", "ru"),
        new("reader-uk", 1_000_102, "Оксана", "reader", "uk"),
        new("moderator", 1_000_201, "Mod", "moderator", "en"),
        new("editor", 1_000_301, "Ed", "editor", "en"),
    ];

    private readonly BotApiEmulator.BotApiEmulator _emulator;
    private readonly WebApplication _bot;
    private readonly SandboxWeb _web;

    private Sandbox(BotApiEmulator.BotApiEmulator emulator, WebApplication bot, SandboxWeb web, string dataDirectory)
    {
        _emulator = emulator;
        _bot = bot;
        _web = web;
        DataDirectory = dataDirectory;
    }

    public BotApiEmulator.BotApiEmulator Emulator => _emulator;

    /// <summary>The web chat's address (and the sample feed's: /feed.xml under it).</summary>
    public Uri PageUrl => _web.Url;

    /// <summary>The sample feed, by the name the bot fetches it under (<see cref="SandboxWeb.FeedHost"/>).</summary>
    public Uri FeedUrl => _web.FeedUrl;

    /// <summary>The throw-away folder of this run: the database, and the sample photo to send from disk.</summary>
    public string DataDirectory { get; }

    public string SamplePhotoPath => Path.Combine(DataDirectory, SandboxWeb.SamplePhotoName);

    /// <summary>The throw-away vault: a fresh key pair, its private key wrapped at the least cost allowed (it guards nothing real).</summary>
    internal static (string PublicKey, string SealedPrivateKey) ThrowAwayVault()
    {
        using var key = NSec.Cryptography.Key.Create(NSec.Cryptography.KeyAgreementAlgorithm.X25519, new NSec.Cryptography.KeyCreationParameters { ExportPolicy = NSec.Cryptography.KeyExportPolicies.AllowPlaintextExport });
        var publicKey = Vault.SealedBox.PublicKeyOf(key);
        var wrap = Vault.PassphraseWrap.Wrap(key.Export(NSec.Cryptography.KeyBlobFormat.RawPrivateKey), publicKey, VaultPassphrase, new(Vault.PassphraseWrap.MinimumMemoryKiB, 1));
        return (Convert.ToBase64String(publicKey), Convert.ToBase64String(wrap));
    }

    /// <summary>
    /// Starts the emulator, the bot and the web chat; the moderator and the editor are made staff by the admin, as a newsroom
    /// would. <paramref name="args"/> override settings (<c>--Sandbox:Port=0</c> picks a free port).
    /// </summary>
    public static async Task<Sandbox> StartAsync(string[] args, CancellationToken ct = default)
    {
        var emulator = await BotApiEmulator.BotApiEmulator.StartAsync(ct: ct);
        var dataDir = Path.Combine(Path.GetTempPath(), "resistancebot-sandbox-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(dataDir);
        emulator.CreateGroup(GroupId, "Moderators");
        var (vaultPublicKey, vaultPrivateKey) = ThrowAwayVault();
        string[] settings =
        [
            $"--Telegram:BotToken={emulator.Token}",
            $"--Telegram:ApiBaseUrl={emulator.BaseUrl}",
            "--Telegram:Mode=Polling",
            "--Telegram:PollTimeoutSeconds=10",
            "--Database:Provider=Sqlite",
            $"--Database:ConnectionString=Data Source={Path.Combine(dataDir, "sandbox.db")}",
            $"--Security:DataKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            $"--Security:PseudonymKey={Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}",
            $"--Staff:AdminIds:0={AdminId}",
            $"--Staff:ModeratorChatId={GroupId}",
            $"--Vault:PublicKey={vaultPublicKey}",
            $"--Vault:SealedPrivateKey={vaultPrivateKey}",
            // Training: a notice of a new tip at once, not at a random moment within half an hour.
            "--Tips:NoticeDelayMinutes=0",
            "--Http:Urls=http://127.0.0.1:0",
            // The sample feed is served on 127.0.0.1, which the bot refuses to fetch from; this environment lets it have a name.
            "--environment=" + Articles.ArticlesOptionsValidator.SandboxEnvironment,
            $"--Articles:TestHosts:{SandboxWeb.FeedHost}=127.0.0.1",
        ];
        var bot = BotApp.Build([.. settings, .. args], b =>
        {
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            b.Logging.AddFilter("Microsoft.EntityFrameworkCore.Migrations", LogLevel.Error); // a fresh file migrates every time
        });
        await bot.StartAsync(ct);
        var vault = bot.Services.GetRequiredService<Vault.VaultKey>();
        vault.Unlock(Vault.PassphraseWrap.Unwrap(Convert.FromBase64String(vaultPrivateKey), vault.PublicKey, VaultPassphrase)!);

        var admin = emulator.User(AdminId, "Admin", languageCode: "en");
        foreach (var person in People)
        {
            emulator.User(person.Id, person.Name, languageCode: person.Language);
            if (person.Role != "reader")
            {
                await admin.AskAsync($"/addstaff {person.Id} {person.Role}", TimeSpan.FromSeconds(30));
            }
        }

        var port = bot.Services.GetRequiredService<IConfiguration>().GetValue("Sandbox:Port", 5080);
        SandboxWeb web;
        try
        {
            web = await SandboxWeb.StartAsync(emulator, People, GroupId, port, bot.Services.GetRequiredService<TimeProvider>(), ct);
        }
        catch (IOException e)
        {
            await bot.StopAsync(ct);
            await bot.DisposeAsync();
            await emulator.DisposeAsync();
            throw new SandboxPortTakenException(port, e);
        }

        await File.WriteAllBytesAsync(Path.Combine(dataDir, SandboxWeb.SamplePhotoName), SandboxWeb.SamplePhoto, ct);
        return new Sandbox(emulator, bot, web, dataDir);
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _bot.StopAsync();
        await _bot.DisposeAsync();
        await _emulator.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open: the folder is in the temporary directory, which the system clears
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        Sandbox started;
        try
        {
            started = await StartAsync(args);
        }
        catch (SandboxPortTakenException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return Cli.ConfigurationError;
        }

        await using var sandbox = started;
        var user = sandbox.Emulator.User(AdminId, "Admin", languageCode: "en");
        Console.OutputEncoding = Encoding.UTF8;
        Console.WriteLine("ResistanceBot sandbox: the real bot, talking to a local Bot API emulator (no Telegram, no network).");
        Console.WriteLine($"Open {sandbox.PageUrl} in a browser: two readers, a moderator, an editor and the moderators' group, side by side.");
        Console.WriteLine($"A feed of sample articles for the editor: {sandbox.FeedUrl}. A photo with GPS in its EXIF: {sandbox.SamplePhotoPath}");
        Console.WriteLine("Here in the terminal you are the admin. Type a message or a command (/start, /help, /settings ...).");
        Console.WriteLine("Press a button with !N (N as listed under the message). Quit with /quit or Ctrl+D.");
        Console.WriteLine($"The vault is open; /lock closes it, and /unlock with the passphrase \"{VaultPassphrase}\" opens it again.");
        Console.WriteLine($"Data: {sandbox.DataDirectory}");

        using var stop = new CancellationTokenSource();
        var printer = PrintAsync(sandbox.Emulator, user, stop.Token);
        while (await Console.In.ReadLineAsync() is { } line)
        {
            line = line.Trim();
            if (line is "/quit" or "/exit")
            {
                break;
            }

            if (line.StartsWith('!') && int.TryParse(line[1..], out var n))
            {
                var buttons = user.BotMessages.LastOrDefault(m => !m.IsDeleted && m.Buttons.Count > 0)?.Buttons.SelectMany(r => r).ToList();
                if (buttons is null || n < 1 || n > buttons.Count || buttons[n - 1].CallbackData is not { } data)
                {
                    Console.WriteLine("(no such button)");
                    continue;
                }

                user.PressButton(user.BotMessages.Last(m => !m.IsDeleted && m.Buttons.Count > 0).MessageId, data);
                continue;
            }

            if (line.Length > 0)
            {
                user.SendText(line);
            }
        }

        await stop.CancelAsync();
        await printer;
        return 0;
    }

    private static async Task PrintAsync(BotApiEmulator.BotApiEmulator emulator, TelegramUser user, CancellationToken ct)
    {
        var seen = new Dictionary<int, int>();
        while (!ct.IsCancellationRequested)
        {
            foreach (var message in user.BotMessages.Where(m => !seen.TryGetValue(m.MessageId, out var edits) || edits != m.EditCount || m.IsDeleted))
            {
                if (message.IsDeleted)
                {
                    if (seen.Remove(message.MessageId))
                    {
                        Console.WriteLine($"[bot deleted message {message.MessageId}]");
                    }

                    continue;
                }

                var edited = seen.ContainsKey(message.MessageId);
                seen[message.MessageId] = message.EditCount;
                Console.WriteLine();
                Console.WriteLine(edited ? $"bot (edited {message.MessageId}):" : "bot:");
                Console.WriteLine(message.Text);
                var n = 0;
                foreach (var row in message.Buttons)
                {
                    Console.WriteLine(string.Join("  ", row.Select(b => $"[{++n}] {b.Text}")));
                }
            }

            try
            {
                var count = user.BotMessages.Sum(m => m.EditCount + 1 + (m.IsDeleted ? 1 : 0));
                await emulator.WaitUntilAsync(() => user.BotMessages.Sum(m => m.EditCount + 1 + (m.IsDeleted ? 1 : 0)) != count || ct.IsCancellationRequested, TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                // nothing new; look again
            }
        }
    }
}

/// <summary>The web chat's port is taken (another sandbox, or another program).</summary>
internal sealed class SandboxPortTakenException(int port, Exception inner)
    : Exception($"Port {port} on 127.0.0.1 is taken: run the sandbox with --Sandbox:Port=N (0 picks a free port).", inner);
