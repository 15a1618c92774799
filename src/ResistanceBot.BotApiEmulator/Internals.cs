using System.Text;

namespace ResistanceBot.BotApiEmulator;

internal sealed record WebhookState(string Url, string? Secret, int MaxConnections)
{
    public string? LastErrorMessage { get; set; }
    public long LastErrorDate { get; set; }
}

/// <summary>Token buckets for the emulator's flood control: each key may spend <c>rate</c> sends per <c>per</c>.</summary>
internal sealed class RateBuckets(TimeProvider time)
{
    private readonly Dictionary<string, (double Tokens, long Stamp)> _buckets = new(StringComparer.Ordinal);

    /// <returns>null when a send is allowed now, else how long until the next one would be.</returns>
    public TimeSpan? TryTake(string key, double? rate, TimeSpan per)
    {
        if (rate is not > 0)
        {
            return null;
        }

        var capacity = Math.Max(1, rate.Value * per.TotalSeconds / per.TotalSeconds);
        var perSecond = rate.Value / per.TotalSeconds;
        var now = time.GetTimestamp();
        var (tokens, stamp) = _buckets.TryGetValue(key, out var b) ? b : (capacity, now);
        tokens = Math.Min(capacity, tokens + (time.GetElapsedTime(stamp, now).TotalSeconds * perSecond));
        if (tokens >= 1)
        {
            _buckets[key] = (tokens - 1, now);
            return null;
        }

        _buckets[key] = (tokens, now);
        return TimeSpan.FromSeconds((1 - tokens) / perSecond);
    }
}

/// <summary>Delivers queued updates to the webhook one at a time; only a 2xx answer confirms an update.</summary>
internal sealed class WebhookPusher(BotApiEmulator emulator) : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private Task? _loop;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (emulator.NextWebhookDelivery() is not { } next)
            {
                try
                {
                    await _wake.WaitAsync(TimeSpan.FromMilliseconds(500), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, next.Url)
                {
                    Content = new StringContent(next.Json, Encoding.UTF8, "application/json"),
                };
                if (next.Secret is not null)
                {
                    request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", next.Secret);
                }

                emulator.Stats.Delivered(1);
                using var response = await _http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                {
                    emulator.WebhookDelivered(next.Id);
                    continue;
                }

                emulator.WebhookFailed($"Wrong response from the webhook: {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (HttpRequestException e)
            {
                emulator.WebhookFailed("Connection refused: " + e.HttpRequestError);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                emulator.WebhookFailed("Timeout expired");
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(emulator.WebhookRetryDelay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        _wake.Dispose();
        _http.Dispose();
    }
}
