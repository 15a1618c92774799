using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>A web server on 127.0.0.1 whose answers a test sets per path: feeds, pages, errors, slowness.</summary>
public sealed class TestWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new();

    private TestWebServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<(string Path, string? IfNoneMatch, string? IfModifiedSince)> Requests { get; } = new();

    public static async Task<TestWebServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new TestWebServer(app);
        app.Run(async http =>
        {
            server.Requests.Enqueue((http.Request.Path, http.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm ? inm : null,
                http.Request.Headers.IfModifiedSince.ToString() is { Length: > 0 } ims ? ims : null));
            if (server._routes.TryGetValue(http.Request.Path, out var handler))
            {
                await handler(http);
            }
            else
            {
                http.Response.StatusCode = 404;
            }
        });
        await app.StartAsync();
        server.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>
    /// The name under which the bot sees this server as a public site: <see cref="BotHost.DefaultSettings"/> maps it to
    /// 127.0.0.1 (Articles:TestHosts). The bot refuses 127.0.0.1 itself, as in production.
    /// </summary>
    public const string PublicName = "news.test";

    /// <summary>An address of this server as the bot should be given it (see <see cref="PublicName"/>).</summary>
    public Uri Url(string path) => new(new UriBuilder(BaseUrl) { Host = PublicName }.Uri, path);

    /// <summary>An address on 127.0.0.1 itself, which the bot must refuse.</summary>
    public Uri LoopbackUrl(string path) => new(BaseUrl, path);

    public void Route(string path, Func<HttpContext, Task> handler) => _routes[path] = handler;

    /// <summary>Serves bytes with a content type and, when given, an ETag honoured by If-None-Match.</summary>
    public void Serve(string path, byte[] body, string contentType, string? etag = null) => Route(path, async http =>
    {
        if (etag is not null)
        {
            if (http.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                http.Response.StatusCode = 304;
                return;
            }

            http.Response.Headers.ETag = etag;
        }

        http.Response.ContentType = contentType;
        await http.Response.Body.WriteAsync(body);
    });

    public void Serve(string path, string body, string contentType = "application/rss+xml; charset=utf-8", string? etag = null) =>
        Serve(path, System.Text.Encoding.UTF8.GetBytes(body), contentType, etag);

    public void Status(string path, int status) => Route(path, http =>
    {
        http.Response.StatusCode = status;
        return Task.CompletedTask;
    });

    public int Count(string path) => Requests.Count(r => r.Path == path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
