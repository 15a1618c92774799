using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using ResistanceBot.BotApiEmulator;

namespace ResistanceBot.Hosting;

/// <summary>
/// The sandbox's web chat on 127.0.0.1: a page that shows several emulated people side by side, and the small JSON API it
/// talks to (state by long polling, send, press, upload). It also serves a feed of sample articles for the editor. The page
/// loads nothing from outside its origin, and its Content-Security-Policy forbids it to.
/// </summary>
internal sealed class SandboxWeb : IAsyncDisposable
{
    internal const string SamplePhotoName = "sample-photo-with-gps.jpg";

    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

    private readonly WebApplication _app;

    private SandboxWeb(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    private static readonly byte[] Page = Resource("index.html");
    private static readonly byte[] Script = Resource("app.js");
    private static readonly byte[] Styles = Resource("app.css");

    /// <summary>A photo with GPS coordinates, a camera and a time in its EXIF: what the tip line must clean.</summary>
    internal static byte[] SamplePhoto { get; } = Resource("sample-photo.jpg");

    public static async Task<SandboxWeb> StartAsync(BotApiEmulator.BotApiEmulator emulator, IReadOnlyList<SandboxPerson> people, long groupId, int port, TimeProvider time, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var chat = new SandboxChat(emulator, people, groupId);
        app.Use(async (context, next) =>
        {
            // Only this machine's browser, by its own name: a page elsewhere cannot reach in through DNS rebinding, nor post a form.
            // The sample feed and its articles also answer to the name the bot fetches them by (FeedHost).
            var host = context.Request.Host.Host;
            var sample = HttpMethods.IsGet(context.Request.Method) && (context.Request.Path == "/feed.xml" || context.Request.Path.StartsWithSegments("/articles"));
            if (!(host is "127.0.0.1" or "localhost" || (sample && host == FeedHost))
                || (HttpMethods.IsPost(context.Request.Method) && context.Request.Headers["X-Sandbox"] != "1"))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            context.Response.Headers.ContentSecurityPolicy = Policy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        app.MapGet("/", () => Results.Bytes(Page, "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Results.Bytes(Script, "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Results.Bytes(Styles, "text/css; charset=utf-8"));
        app.MapGet("/" + SamplePhotoName, () => Results.File(SamplePhoto, "image/jpeg", SamplePhotoName));
        app.MapGet("/api/state", async (long? v, CancellationToken request) => Results.Json(await chat.StateAsync(v, request)));
        app.MapPost("/api/send", (SendRequest r) => chat.Send(r.Person, r.Text) ? Results.NoContent() : Results.BadRequest());
        app.MapPost("/api/press", (PressRequest r) => chat.Press(r.Person, r.Chat, r.Message, r.Data) is { } query ? Results.Json(new { query }) : Results.BadRequest());
        app.MapPost("/api/upload", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            if (form.Files.Count != 1 || form.Files[0].Length > 20 * 1024 * 1024)
            {
                return Results.BadRequest();
            }

            var file = form.Files[0];
            using var content = new MemoryStream();
            await file.CopyToAsync(content, request.HttpContext.RequestAborted);
            return chat.Upload(form["person"].ToString(), form["kind"] == "photo", content.ToArray(), file.FileName, file.ContentType) ? Results.NoContent() : Results.BadRequest();
        }).DisableAntiforgery();
        app.MapGet("/api/file/{chatId:long}/{messageId:int}", (long chatId, int messageId) =>
            chat.File(chatId, messageId) is { } file
                ? Results.File(file.Content, file.MimeType ?? SandboxChat.ImageType(file.Content) ?? "application/octet-stream", file.FileName)
                : Results.NotFound());
        var sample = new SampleFeed(time);
        app.MapGet("/feed.xml", (HttpRequest request) => Results.Text(sample.Rss(Origin(request)), "application/rss+xml; charset=utf-8"));
        app.MapGet("/articles/{n:int}", (int n) => SampleFeed.Article(n) is { } html ? Results.Text(html, "text/html; charset=utf-8") : Results.NotFound());
        await app.StartAsync(ct);
        var address = app.Urls.Select(u => new Uri(u)).First();
        return new SandboxWeb(app, new Uri($"http://127.0.0.1:{address.Port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// The name the bot is given for the sample feed (mapped to 127.0.0.1 by Articles:TestHosts): the bot refuses to fetch from
    /// 127.0.0.1 itself, as it would in production.
    /// </summary>
    public const string FeedHost = "feeds.sandbox.test";

    /// <summary>The sample feed's address, as an editor gives it to /addfeed.</summary>
    public Uri FeedUrl => new UriBuilder(Url) { Host = FeedHost, Path = "/feed.xml" }.Uri;

    private static string Origin(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    private static byte[] Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ResistanceBot.Sandbox." + name)
            ?? throw new InvalidOperationException($"The sandbox resource {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed record SendRequest(string Person, string Text);

    private sealed record PressRequest(string Person, long Chat, int Message, string Data);
}

/// <summary>What the web chat shows and does, over the emulator's user-side API.</summary>
internal sealed class SandboxChat(BotApiEmulator.BotApiEmulator emulator, IReadOnlyList<SandboxPerson> people, long groupId)
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(20);

    /// <summary>A number that changes whenever anything the page shows changes: messages, edits, deletions, answers to presses.</summary>
    private long Version()
    {
        long version = emulator.CallbackAnswers.Count;
        foreach (var id in people.Select(p => p.Id).Append(groupId))
        {
            foreach (var m in emulator.Messages(id))
            {
                version += 1 + m.EditCount + (m.IsDeleted ? 1 : 0);
            }
        }

        return version;
    }

    public async Task<object> StateAsync(long? seen, CancellationToken ct)
    {
        if (seen is { } v)
        {
            var changed = emulator.WaitUntilAsync(() => Version() != v, LongPoll);
            try
            {
                await changed.WaitAsync(ct);
            }
            catch (TimeoutException)
            {
                // nothing new: the page asks again
            }
            catch (OperationCanceledException)
            {
                // the page went away (or the sandbox stops): the wait ends on its own, and its timeout is observed here
                _ = changed.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw;
            }
        }

        var answers = emulator.CallbackAnswers.TakeLast(50).Select(a => new { query = a.QueryId, text = a.Text, alert = a.ShowAlert });
        return new
        {
            version = Version(),
            people = people.Select(p => new { key = p.Key, name = p.Name, role = p.Role, language = p.Language, chat = p.Id, messages = Messages(p.Id) }),
            group = new { chat = groupId, title = "Moderators", presser = people.First(p => p.Role == "moderator").Key, messages = Messages(groupId) },
            answers,
        };
    }

    private IEnumerable<object> Messages(long chatId) => emulator.Messages(chatId).Select(m => new
    {
        id = m.MessageId,
        bot = m.FromBot,
        html = Render(m.Text, m.Entities),
        buttons = m.Buttons.Select(r => r.Select(b => new { text = b.Text, data = b.CallbackData, url = b.Url })),
        deleted = m.IsDeleted,
        edited = m.EditCount > 0,
        photo = m.Photo is not null,
        document = m.Document?.FileName ?? (m.Document is null ? null : "file"),
        time = m.Date.ToString("HH:mm", CultureInfo.InvariantCulture),
    });

    public bool Send(string person, string text)
    {
        if (User(person) is not { } user || string.IsNullOrWhiteSpace(text) || text.Length > 4096)
        {
            return false;
        }

        user.SendText(text);
        return true;
    }

    public string? Press(string person, long chatId, int messageId, string data)
    {
        if (User(person) is not { } user || (chatId != user.Id && chatId != groupId))
        {
            return null;
        }

        var message = emulator.Messages(chatId).FirstOrDefault(m => m.MessageId == messageId && m.FromBot && !m.IsDeleted);
        return message is not null && message.Buttons.SelectMany(r => r).Any(b => b.CallbackData == data) ? user.PressButton(chatId, messageId, data) : null;
    }

    public bool Upload(string person, bool asPhoto, byte[] content, string fileName, string contentType)
    {
        if (User(person) is not { } user || content.Length == 0)
        {
            return false;
        }

        if (asPhoto)
        {
            user.SendPhoto(content);
        }
        else
        {
            user.SendDocument(content, Path.GetFileName(fileName), string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType);
        }

        return true;
    }

    public StoredFile? File(long chatId, int messageId)
    {
        if (chatId != groupId && people.All(p => p.Id != chatId))
        {
            return null;
        }

        var message = emulator.Messages(chatId).FirstOrDefault(m => m.MessageId == messageId && !m.IsDeleted);
        return message?.Photo ?? message?.Document;
    }

    internal static string? ImageType(byte[] content) => content switch
    {
        [0xFF, 0xD8, ..] => "image/jpeg",
        [0x89, 0x50, 0x4E, 0x47, ..] => "image/png",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => null,
    };

    private TelegramUser? User(string key) =>
        people.FirstOrDefault(p => p.Key == key) is { } p ? emulator.User(p.Id, p.Name, languageCode: p.Language) : null;

    /// <summary>A message's text and entities as HTML, every character escaped: what Telegram's apps would show.</summary>
    internal static string Render(string text, IReadOnlyList<MessageEntity> entities)
    {
        var opens = new SortedDictionary<int, List<MessageEntity>>();
        var closes = new SortedDictionary<int, List<MessageEntity>>();
        foreach (var e in entities.Where(e => Tag(e) is not null && e.Length > 0 && e.Offset >= 0 && e.Offset + e.Length <= text.Length))
        {
            Add(opens, e.Offset, e);
            Add(closes, e.Offset + e.Length, e);
        }

        // Text is encoded in runs between entity boundaries, never a char at a time: that would split surrogate pairs (emoji).
        var html = new StringBuilder(text.Length + 64);
        var boundaries = opens.Keys.Concat(closes.Keys).Append(0).Append(text.Length).Distinct().Order().ToList();
        for (var b = 0; b < boundaries.Count; b++)
        {
            var i = boundaries[b];
            if (closes.TryGetValue(i, out var closing))
            {
                foreach (var e in closing.OrderBy(e => e.Offset).ThenBy(e => e.Length).Reverse())
                {
                    html.Append("</").Append(Tag(e)!.Value.Name).Append('>');
                }
            }

            if (opens.TryGetValue(i, out var opening))
            {
                foreach (var e in opening.OrderByDescending(e => e.Length))
                {
                    var (name, attributes) = Tag(e)!.Value;
                    html.Append('<').Append(name).Append(attributes).Append('>');
                }
            }

            if (b + 1 < boundaries.Count)
            {
                html.Append(WebUtility.HtmlEncode(text[i..boundaries[b + 1]]));
            }
        }

        return html.ToString();

        static void Add(SortedDictionary<int, List<MessageEntity>> at, int position, MessageEntity e)
        {
            if (!at.TryGetValue(position, out var list))
            {
                at[position] = list = [];
            }

            list.Add(e);
        }
    }

    private static (string Name, string Attributes)? Tag(MessageEntity e) => e.Type switch
    {
        "bold" => ("b", ""),
        "italic" => ("i", ""),
        "underline" => ("u", ""),
        "strikethrough" => ("s", ""),
        "spoiler" => ("span", " class=\"spoiler\""),
        "code" => ("code", ""),
        "pre" => ("pre", ""),
        "blockquote" or "expandable_blockquote" => ("blockquote", ""),
        "text_link" when Uri.TryCreate(e.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" =>
            ("a", $" href=\"{WebUtility.HtmlEncode(url.AbsoluteUri)}\" rel=\"noreferrer noopener\" target=\"_blank\""),
        _ => null,
    };
}

/// <summary>Three sample articles and their RSS feed, for the editor to follow with /addfeed.</summary>
internal sealed class SampleFeed(TimeProvider time)
{
    // Each body is long enough to count as an article's full text: the "📖" button can be tried on all three.
    private static readonly (string Title, string Summary, string[] Body)[] Articles =
    [
        ("Workers at a tank plant stop the line", "About 300 workers walked out over unpaid overtime.",
        [
            "About 300 workers of the night shift walked out over unpaid overtime. The line stood for six hours.",
            "The plant's management first promised to pay within a week, then threatened to report the walkout as sabotage. Workers say they have heard both before.",
            "By the morning shift the line was running again, but the workers' demands, written on a sheet pinned to the canteen door, were still there.",
        ]),
        ("Mothers of conscripts gather at the draft office", "Dozens demanded to know where their sons serve.",
        [
            "Dozens of women gathered at the district draft office and demanded answers. The head of the office did not come out.",
            "Many had not heard from their sons for weeks. One brought a printed list of the soldiers' names and units and asked the officer on duty to sign for it.",
            "The police wrote down the women's names but detained nobody. The women agreed to come back on Friday.",
        ]),
        ("A relay cabinet burns beside a freight line", "Trains with fuel stood for a day.",
        [
            "A relay cabinet beside a freight line burned overnight. Trains carrying fuel stood still for a day.",
            "The railway called it a fault in the wiring. Workers who were sent to repair the cabinet said its door had been forced open.",
            "It is the fourth such fire on the line since the summer, and the third that stopped trains carrying fuel.",
        ]),
    ];

    private readonly DateTimeOffset _published = time.GetUtcNow().AddHours(-2);

    public string Rss(string origin)
    {
        var rss = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Sandbox Strike Watch</title>")
            .Append("<link>").Append(origin).Append("/</link><description>Sample articles for the ResistanceBot sandbox</description>");
        for (var i = 0; i < Articles.Length; i++)
        {
            var (title, summary, _) = Articles[i];
            rss.Append("<item><title>").Append(WebUtility.HtmlEncode(title)).Append("</title><link>").Append(origin).Append("/articles/").Append(i + 1)
                .Append("</link><guid>").Append(origin).Append("/articles/").Append(i + 1).Append("</guid><pubDate>")
                .Append(_published.AddMinutes(-10 * i).ToString("r", CultureInfo.InvariantCulture)).Append("</pubDate><description>")
                .Append(WebUtility.HtmlEncode(summary)).Append("</description></item>");
        }

        return rss.Append("</channel></rss>").ToString();
    }

    public static string? Article(int n) => n < 1 || n > Articles.Length ? null :
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(Articles[n - 1].Title)}</title></head>"
        + $"<body><article><h1>{WebUtility.HtmlEncode(Articles[n - 1].Title)}</h1>{string.Concat(Articles[n - 1].Body.Select(p => "<p>" + WebUtility.HtmlEncode(p) + "</p>"))}</article></body></html>";
}
