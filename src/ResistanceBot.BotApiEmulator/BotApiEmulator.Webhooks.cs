using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

// Webhooks: setWebhook, deleteWebhook, getWebhookInfo and the deliveries WebhookPusher makes (reference §3.3).
public sealed partial class BotApiEmulator
{
    public string? WebhookUrl
    {
        get
        {
            lock (_gate)
            {
                return _webhook?.Url;
            }
        }
    }

    private (JsonNode?, string?) SetWebhook(ApiRequest r)
    {
        var url = r.String("url") ?? "";
        if (url.Length == 0)
        {
            return DeleteWebhook(r);
        }

        if (!Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "https://" + url, UriKind.Absolute, out var uri))
        {
            throw ApiException.BadRequest("invalid webhook URL specified");
        }

        // Like a local-mode server, but deliveries never leave this machine.
        if (!uri.IsLoopback)
        {
            throw ApiException.BadRequest("bad webhook: the emulator delivers webhooks to loopback addresses only");
        }

        var secret = r.String("secret_token");
        if (secret is not null)
        {
            if (secret.Length > 256)
            {
                throw ApiException.BadRequest("secret token is too long");
            }

            if (!secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                throw ApiException.BadRequest("secret token contains unallowed characters");
            }
        }

        CancellationTokenSource? poll;
        string description;
        lock (_gate)
        {
            if (r.Has("allowed_updates"))
            {
                SetAllowedUpdatesLocked(r);
            }

            var next = new WebhookState(uri.ToString(), string.IsNullOrEmpty(secret) ? null : secret, r.Int("max_connections", 40, 1, 100));
            description = _webhook == next ? "Webhook is already set" : "Webhook was set";
            _webhook = next;
            if (r.Bool("drop_pending_updates"))
            {
                _updates.Clear();
            }

            poll = _waitingPoll;
        }

        poll?.Cancel();
        _pusher.Wake();
        return (true, description);
    }

    private (JsonNode?, string?) DeleteWebhook(ApiRequest r)
    {
        lock (_gate)
        {
            var had = _webhook is not null;
            _webhook = null;
            if (r.Bool("drop_pending_updates"))
            {
                _updates.Clear();
            }

            return (true, had ? "Webhook was deleted" : "Webhook is already deleted");
        }
    }

    private JsonObject GetWebhookInfo()
    {
        lock (_gate)
        {
            var info = new JsonObject
            {
                ["url"] = _webhook?.Url ?? "",
                ["has_custom_certificate"] = false,
                ["pending_update_count"] = _updates.Count,
            };
            if (_webhook is { } hook)
            {
                if (hook.LastErrorMessage is not null)
                {
                    info["last_error_date"] = hook.LastErrorDate;
                    info["last_error_message"] = hook.LastErrorMessage;
                }

                info["max_connections"] = hook.MaxConnections;
                info["ip_address"] = "127.0.0.1";
            }

            if (_allowedUpdates is not null)
            {
                info["allowed_updates"] = new JsonArray(_allowedUpdates.Order(StringComparer.Ordinal).Select(a => (JsonNode)a).ToArray());
            }

            return info;
        }
    }

    internal (int Id, string Json, string Url, string? Secret)? NextWebhookDelivery()
    {
        lock (_gate)
        {
            if (_webhook is not { } hook || _updates.First is not { } first)
            {
                return null;
            }

            return (first.Value.Id, first.Value.Json.ToJsonString(), hook.Url, hook.Secret);
        }
    }

    internal void WebhookDelivered(int updateId)
    {
        lock (_gate)
        {
            if (_updates.First is { } first && first.Value.Id == updateId)
            {
                _updates.RemoveFirst();
            }
        }

        Changed();
    }

    internal void WebhookFailed(string message)
    {
        lock (_gate)
        {
            if (_webhook is { } hook)
            {
                hook.LastErrorMessage = message;
                hook.LastErrorDate = _options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            }
        }
    }

    internal TimeSpan WebhookRetryDelay => _options.WebhookRetryDelay;
}
