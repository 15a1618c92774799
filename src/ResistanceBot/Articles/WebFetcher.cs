using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ResistanceBot.Articles;

internal abstract record FetchResult
{
    /// <summary>A page or feed; <c>MaxAge</c> is Cache-Control max-age, how long the server asks that the answer be reused.</summary>
    public sealed record Fetched(byte[] Content, string? Charset, string? MediaType, Uri FinalUrl, string? ETag, string? LastModified, TimeSpan? MaxAge = null) : FetchResult;

    public sealed record NotModified(TimeSpan? MaxAge = null) : FetchResult;

    /// <summary>A short reason for editors ("HTTP 500", "timed out", "larger than 5 MB").</summary>
    public sealed record Failed(string Reason) : FetchResult;
}

/// <summary>
/// Fetches feeds and pages: conditional GET (ETag, Last-Modified), a timeout per attempt, a size cap, a Polly retry for
/// 5xx, 429 and network faults, and redirects followed one hop at a time through <see cref="FetchGuard"/>. Failures are values with a reason an editor can read.
/// </summary>
internal sealed class WebFetcher
{
    public const string HttpClientName = "web";
    private const int MaxRedirects = 5;

    private readonly IHttpClientFactory _http;
    private readonly ArticlesOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public WebFetcher(IHttpClientFactory http, IOptions<ArticlesOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options.Value;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>(e => e.InnerException is not FetchRefusedException)
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout),
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(_options.FetchTimeoutSeconds))
            .Build();
    }

    public async Task<FetchResult> GetAsync(Uri url, string? etag, string? lastModified, CancellationToken ct)
    {
        var client = _http.CreateClient(HttpClientName);
        var current = url;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                if (FetchGuard.SchemeProblem(current) is { } problem)
                {
                    return new FetchResult.Failed(problem);
                }

                using var response = await SendAsync(client, current, etag, lastModified, ct);
                if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    // Each hop is a new request through FetchGuard: a public page cannot redirect the bot inside the server.
                    if (redirects == MaxRedirects)
                    {
                        return new FetchResult.Failed("too many redirects");
                    }

                    current = location.IsAbsoluteUri ? location : new Uri(current, location);
                    continue;
                }

                return await ReadAsync(response, current, ct);
            }
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return new FetchResult.Failed("timed out");
        }
        catch (HttpRequestException e) when (e.InnerException is FetchRefusedException refused)
        {
            return new FetchResult.Failed("refused: " + refused.Message);
        }
        catch (HttpRequestException e)
        {
            return new FetchResult.Failed(e.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.ConnectionError => "the server refuses connections",
                HttpRequestError.SecureConnectionError => "TLS failed",
                _ => "the connection failed",
            });
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpClient client, Uri url, string? etag, string? lastModified, CancellationToken ct) =>
        _pipeline.ExecuteAsync(
            async c =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag))
                {
                    request.Headers.IfNoneMatch.Add(tag);
                }

                if (lastModified is not null && DateTimeOffset.TryParse(lastModified, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since))
                {
                    request.Headers.IfModifiedSince = since;
                }

                return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c);
            },
            ct).AsTask();

    private async Task<FetchResult> ReadAsync(HttpResponseMessage response, Uri url, CancellationToken ct)
    {
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new FetchResult.NotModified(MaxAge(response));
        }

        if (!response.IsSuccessStatusCode)
        {
            return new FetchResult.Failed($"HTTP {(int)response.StatusCode}");
        }

        if (response.Content.Headers.ContentLength > _options.MaxDownloadBytes)
        {
            return new FetchResult.Failed(TooLarge());
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.FetchTimeoutSeconds));
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var content = await ReadCappedAsync(stream, _options.MaxDownloadBytes, timeout.Token);
        if (content is null)
        {
            return new FetchResult.Failed(TooLarge());
        }

        return new FetchResult.Fetched(
            content,
            response.Content.Headers.ContentType?.CharSet,
            response.Content.Headers.ContentType?.MediaType,
            url,
            response.Headers.ETag?.ToString(),
            response.Content.Headers.LastModified?.ToString("R"),
            MaxAge(response));
    }

    /// <summary>How long the server asks that the answer be reused (Cache-Control max-age), if it says.</summary>
    private static TimeSpan? MaxAge(HttpResponseMessage response) =>
        response.Headers.CacheControl is { NoCache: false, NoStore: false, MaxAge: { } age } ? age : null;

    private string TooLarge() => $"larger than {_options.MaxDownloadBytes / 1_000_000.0:0.#} MB";

    private static async Task<byte[]?> ReadCappedAsync(Stream stream, int max, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
