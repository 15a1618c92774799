using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ResistanceBot.BotApiEmulator;

/// <summary>
/// An in-memory Telegram Bot API server on loopback (reference: shared/reference/telegram-bot-api.md).
/// The bot talks to it over real HTTP with the real Telegram.Bot client; a test plays the users through <see cref="User"/>.
/// This file holds its state, start and stop, the HTTP plumbing and waiting; the other parts go by concern: Users (the
/// user-side API), Updates (getUpdates and the JSON shapes), Messages (sending, editing, deleting, HTML, callbacks, the
/// commands menu), Files, Faults (flood limits, held sends, injected faults) and Webhooks.
/// </summary>
public sealed partial class BotApiEmulator : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly EmulatorOptions _options;
    private readonly WebApplication _app;
    private readonly Dictionary<long, ChatState> _chats = [];
    private readonly LinkedList<(int Id, string Type, JsonObject Json)> _updates = new();
    private readonly Dictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long ChatId, int MessageId)> _openCallbacks = new(StringComparer.Ordinal);
    private readonly List<CallbackAnswer> _callbackAnswers = [];
    private readonly Dictionary<string, JsonArray> _commands = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _holds = new();
    private readonly RateBuckets _rates;
    private readonly Random _random;
    private TaskCompletionSource _changed = NewSignal();
    private CancellationTokenSource? _waitingPoll;
    private int _nextUpdateId;
    private int _heldSends;
    private int _disposed;
    private readonly List<FloodWindow> _floods = [];
    private int _nextFileNumber = 1;
    private long _nextCallbackId = 4_242_426_734_219_861_423;
    private HashSet<string>? _allowedUpdates;
    private WebhookState? _webhook;
    private readonly WebhookPusher _pusher;

    private BotApiEmulator(EmulatorOptions options, WebApplication app)
    {
        _options = options;
        _app = app;
        _nextUpdateId = options.FirstUpdateId;
        _random = new Random(Faults.Seed);
        _rates = new RateBuckets(options.TimeProvider);
        BotId = long.Parse(options.Token.AsSpan(0, options.Token.IndexOf(':', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        _pusher = new WebhookPusher(this);
    }

    /// <summary>The base URL to give Telegram.Bot (<c>Telegram:ApiBaseUrl</c>).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public string Token => _options.Token;

    public long BotId { get; }

    public EmulatorFaults Faults { get; } = new();

    public EmulatorStats Stats { get; } = new();

    /// <summary>Starts the emulator on loopback. A non-loopback host is refused: it must never be mistaken for Telegram.</summary>
    public static async Task<BotApiEmulator> StartAsync(EmulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EmulatorOptions();
        if (!IsLoopback(options.Host))
        {
            throw new InvalidOperationException($"The Bot API emulator listens on loopback only, not on '{options.Host}'.");
        }

        if (!options.Token.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("The emulator's token must look like a Bot API token (id:secret).", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port.ToString(CultureInfo.InvariantCulture)}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 60 << 20);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f => f.MultipartBodyLengthLimit = 60 << 20);
        var app = builder.Build();
        var emulator = new BotApiEmulator(options, app);
        app.Map("/bot{token}/{method}", emulator.HandleMethodAsync);
        app.MapGet("/file/bot{token}/{**path}", emulator.HandleFileAsync);
        app.MapFallback(ctx => WriteErrorAsync(ctx, new ApiException(404, "Not Found")));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = new Uri(address);
        emulator._pusher.Start();
        return emulator;
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        foreach (var hold in _holds.Values)
        {
            hold.TrySetResult();
        }

        await _pusher.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking whenever the emulator's state changes.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                if (condition())
                {
                    return;
                }

                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what ?? "a condition"}.");
            }
        }
    }

    /// <summary>Waits for the bot's next new message in a chat after <paramref name="afterCount"/> bot messages.</summary>
    public async Task<ChatMessage> WaitForBotMessageAsync(long chatId, int afterCount, TimeSpan? timeout = null)
    {
        ChatMessage? found = null;
        await WaitUntilAsync(
            () =>
            {
                lock (_gate)
                {
                    if (_chats.TryGetValue(chatId, out var chat))
                    {
                        found = chat.Messages.Where(m => m.FromBot).Skip(afterCount).FirstOrDefault()?.Snapshot();
                    }
                }

                return found is not null;
            },
            timeout ?? TimeSpan.FromSeconds(10),
            "a message from the bot");
        return found!;
    }

    internal void Changed()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleMethodAsync(HttpContext http, string token, string method)
    {
        Stats.Request();
        try
        {
            CheckToken(token);
            if (await InjectTransportFaultAsync(http))
            {
                return;
            }

            var request = await ApiRequest.ReadAsync(http.Request, http.RequestAborted);
            var (result, description) = await InvokeAsync(method.ToLowerInvariant(), request, http.RequestAborted);
            if (method.StartsWith("send", StringComparison.OrdinalIgnoreCase) && LoseAnswer())
            {
                Stats.DroppedAfter();
                http.Abort();
                return;
            }
            var envelope = new JsonObject { ["ok"] = true, ["result"] = result };
            if (description is not null)
            {
                envelope["description"] = description;
            }

            http.Response.StatusCode = 200;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(envelope.ToJsonString(), http.RequestAborted);
        }
        catch (ApiException e)
        {
            Stats.Error(e.Code);
            await WriteErrorAsync(http, e);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away (a killed bot, or a timeout); nothing to answer.
        }
    }

    private void CheckToken(string token)
    {
        var colon = token.IndexOf(':', StringComparison.Ordinal);
        if (token.Length > 80 || token.StartsWith('0') || colon is < 1)
        {
            throw new ApiException(401, "Unauthorized: invalid token specified");
        }

        if (!string.Equals(token, _options.Token, StringComparison.Ordinal))
        {
            throw new ApiException(401, "Unauthorized");
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, ApiException e)
    {
        var body = new JsonObject { ["ok"] = false, ["error_code"] = e.Code, ["description"] = e.Description };
        if (e.RetryAfter is { } retry)
        {
            body["parameters"] = new JsonObject { ["retry_after"] = retry };
            http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        }

        http.Response.StatusCode = e.Code;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    private async Task<(JsonNode? Result, string? Description)> InvokeAsync(string method, ApiRequest r, CancellationToken ct)
    {
        switch (method)
        {
            case "getme":
                return (GetMe(), null);
            case "getupdates":
                return (await GetUpdatesAsync(r, ct), null);
            case "setwebhook":
                return SetWebhook(r);
            case "deletewebhook":
                return DeleteWebhook(r);
            case "getwebhookinfo":
                return (GetWebhookInfo(), null);
            case "setmycommands":
                return (SetMyCommands(r), null);
            case "getmycommands":
                return (GetMyCommands(r), null);
            case "deletemycommands":
                return (DeleteMyCommands(r), null);
            case "sendmessage":
                return (await SendAsync(r, m => FillText(m, r, "text", caption: false), ct), null);
            case "sendphoto":
                return (await SendAsync(r, m => FillMedia(m, r, "photo"), ct), null);
            case "senddocument":
                return (await SendAsync(r, m => FillMedia(m, r, "document"), ct), null);
            case "copymessage":
                return (await CopyMessageAsync(r, ct), null);
            case "editmessagetext":
                return (EditMessageText(r), null);
            case "editmessagereplymarkup":
                return (EditMessageReplyMarkup(r), null);
            case "deletemessage":
                return (DeleteMessage(r), null);
            case "deletemessages":
                return (DeleteMessages(r), null);
            case "answercallbackquery":
                return (AnswerCallbackQuery(r), null);
            case "getfile":
                return (GetFile(r), null);
            case "setchatmenubutton":
                _ = r.Json("menu_button", "can't parse menu button JSON object");
                return (true, null);
            default:
                throw new ApiException(404, "Not Found: method not found");
        }
    }
}
