using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResistanceBot.BotApiEmulator;

// Updates and polling: the queue of updates, getUpdates with its offset and long poll (reference §3.2), and the JSON shapes of what the bot receives.
public sealed partial class BotApiEmulator
{
    public int PendingUpdateCount
    {
        get
        {
            lock (_gate)
            {
                return _updates.Count;
            }
        }
    }

    private void EnqueueLocked(string type, JsonObject update)
    {
        var allowed = _allowedUpdates ?? DefaultAllowedUpdates;
        if (!allowed.Contains(type))
        {
            return;
        }

        var id = _nextUpdateId++;
        var json = new JsonObject { ["update_id"] = id };
        foreach (var (key, value) in update.ToList())
        {
            update.Remove(key);
            json[key] = value;
        }

        _updates.AddLast((id, type, json));
        _pusher.Wake();
    }

    private static readonly HashSet<string> DefaultAllowedUpdates =
    [
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost", "business_connection", "business_message", "edited_business_message", "deleted_business_messages",
        "purchased_paid_media",
    ];

    private JsonObject BotUserJson() => new()
    {
        ["id"] = BotId,
        ["is_bot"] = true,
        ["first_name"] = _options.BotFirstName,
        ["username"] = _options.BotUsername,
    };

    private static JsonObject UserJson(EmulatedUser user)
    {
        var json = new JsonObject { ["id"] = user.Id, ["is_bot"] = false, ["first_name"] = user.FirstName };
        if (user.LastName is not null)
        {
            json["last_name"] = user.LastName;
        }

        if (user.Username is not null)
        {
            json["username"] = user.Username;
        }

        if (user.LanguageCode is not null)
        {
            json["language_code"] = user.LanguageCode;
        }

        return json;
    }

    private JsonObject MessageJson(MessageRecord m)
    {
        var json = new JsonObject
        {
            ["message_id"] = m.MessageId,
            ["from"] = m.FromBot ? BotUserJson() : UserJson(m.From!),
            ["chat"] = m.Chat.ToJson(),
            ["date"] = m.Date.ToUnixTimeSeconds(),
        };
        if (m.EditCount > 0)
        {
            json["edit_date"] = m.Date.ToUnixTimeSeconds();
        }

        if (m.MediaGroupId is not null)
        {
            json["media_group_id"] = m.MediaGroupId;
        }

        var hasMedia = m.Photo is not null || m.Document is not null;
        if (!hasMedia && m.HasText)
        {
            json["text"] = m.Text;
            if (m.Entities.Count > 0)
            {
                json["entities"] = EntitiesJson(m.Entities);
            }

            if (m.LinkPreviewDisabled)
            {
                json["link_preview_options"] = new JsonObject { ["is_disabled"] = true };
            }
        }

        if (m.Photo is { } photo)
        {
            json["photo"] = new JsonArray(
                PhotoSizeJson(photo, 90, 68, small: true),
                PhotoSizeJson(photo, 1280, 960, small: false));
        }

        if (m.Document is { } doc)
        {
            var d = new JsonObject();
            if (doc.FileName is not null)
            {
                d["file_name"] = doc.FileName;
            }

            if (doc.MimeType is not null)
            {
                d["mime_type"] = doc.MimeType;
            }

            d["file_id"] = doc.FileId;
            d["file_unique_id"] = doc.FileUniqueId;
            d["file_size"] = doc.Content.Length;
            json["document"] = d;
        }

        if (m.Contact is { } contact)
        {
            var c = new JsonObject { ["phone_number"] = contact.PhoneNumber ?? "", ["first_name"] = contact.FirstName };
            if (contact.LastName is not null)
            {
                c["last_name"] = contact.LastName;
            }

            c["user_id"] = contact.Id;
            json["contact"] = c;
        }

        if (hasMedia && m.HasText && m.Text.Length > 0)
        {
            json["caption"] = m.Text;
            if (m.Entities.Count > 0)
            {
                json["caption_entities"] = EntitiesJson(m.Entities);
            }
        }

        if (m.ReplyMarkup is not null)
        {
            json["reply_markup"] = m.ReplyMarkup.DeepClone();
        }

        return json;
    }

    private static JsonObject PhotoSizeJson(StoredFile photo, int width, int height, bool small) => new()
    {
        // The emulator keeps one copy of the bytes; the small size is a distinct id for the same content.
        ["file_id"] = small ? photo.FileId + "-s" : photo.FileId,
        ["file_unique_id"] = small ? photo.FileUniqueId + "s" : photo.FileUniqueId,
        ["file_size"] = photo.Content.Length,
        ["width"] = width,
        ["height"] = height,
    };

    private static JsonArray EntitiesJson(IReadOnlyList<MessageEntity> entities)
    {
        var array = new JsonArray();
        foreach (var e in entities)
        {
            var json = new JsonObject { ["offset"] = e.Offset, ["length"] = e.Length, ["type"] = e.Type };
            if (e.Url is not null && e.Type == "text_link")
            {
                json["url"] = e.Url;
            }

            if (e.Language is not null)
            {
                json["language"] = e.Language;
            }

            if (e.CustomEmojiId is not null)
            {
                json["custom_emoji_id"] = e.CustomEmojiId;
            }

            array.Add(json);
        }

        return array;
    }

    private JsonObject GetMe()
    {
        var me = BotUserJson();
        me["can_join_groups"] = true;
        me["can_read_all_group_messages"] = false;
        me["supports_inline_queries"] = false;
        me["can_connect_to_business"] = false;
        me["has_main_web_app"] = false;
        return me;
    }

    private async Task<JsonArray> GetUpdatesAsync(ApiRequest r, CancellationToken ct)
    {
        var offset = r.Long("offset") ?? 0;
        var limit = r.Int("limit", 100, 1, 100);
        var timeout = r.Int("timeout", 0, 0, _options.MaxLongPollSeconds);
        CancellationTokenSource? previous;
        bool confirmed;
        var mine = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_gate)
        {
            if (_webhook is not null)
            {
                mine.Dispose();
                throw new ApiException(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
            }

            if (r.Has("allowed_updates"))
            {
                SetAllowedUpdatesLocked(r);
            }

            confirmed = ConfirmLocked(offset);
            previous = _waitingPoll;
            _waitingPoll = mine;
        }

        if (confirmed)
        {
            Changed();
        }

        // Only one long poll at a time: a newer request ends the older one with 409.
        if (previous is not null)
        {
            try
            {
                await previous.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // It already finished.
            }
        }

        try
        {
            var deadline = _options.TimeProvider.GetUtcNow().AddSeconds(timeout);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    var batch = new JsonArray();
                    foreach (var update in _updates.Take(limit))
                    {
                        batch.Add(update.Json.DeepClone());
                    }

                    if (batch.Count > 0 || timeout == 0)
                    {
                        Stats.Delivered(batch.Count);
                        return batch;
                    }

                    changed = _changed.Task;
                }

                var left = deadline - _options.TimeProvider.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    return [];
                }

                try
                {
                    await changed.WaitAsync(left, _options.TimeProvider, mine.Token);
                }
                catch (TimeoutException)
                {
                    return [];
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    lock (_gate)
                    {
                        if (_webhook is not null)
                        {
                            throw new ApiException(409, "Conflict: terminated by setWebhook request");
                        }
                    }

                    throw new ApiException(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running");
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_waitingPoll == mine)
                {
                    _waitingPoll = null;
                }
            }

            mine.Dispose();
        }
    }

    /// <summary>An update is confirmed (and forgotten) once getUpdates is called with an offset above its id.</summary>
    /// <returns>whether any update was forgotten.</returns>
    private bool ConfirmLocked(long offset)
    {
        var before = _updates.Count;
        if (offset < 0)
        {
            while (_updates.Count > -offset)
            {
                _updates.RemoveFirst();
            }
        }
        else if (offset > 0 && _updates.Count > 0 && offset <= _updates.Last!.Value.Id + 11)
        {
            // (offset 0 reads from the head; an offset far in the future also reads from the head)
            while (_updates.First is { } first && first.Value.Id < offset)
            {
                _updates.RemoveFirst();
            }
        }

        return _updates.Count != before;
    }

    private void SetAllowedUpdatesLocked(ApiRequest r)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(r.String("allowed_updates") ?? "");
        }
        catch (JsonException)
        {
            return; // unparsable: keep the previous setting
        }

        if (node is not JsonArray array)
        {
            return;
        }

        var known = array.OfType<JsonValue>()
            .Where(v => v.GetValueKind() == JsonValueKind.String)
            .Select(v => v.GetValue<string>().ToLowerInvariant())
            .Where(n => DefaultAllowedUpdates.Contains(n) || n is "chat_member" or "message_reaction" or "message_reaction_count")
            .ToHashSet(StringComparer.Ordinal);
        _allowedUpdates = known.Count == 0 ? null : known;
    }
}
