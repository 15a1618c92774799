using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ResistanceBot.BotApiEmulator;

// Files: what users send and the bot uploads, getFile and downloads (reference §3.9).
public sealed partial class BotApiEmulator
{
    private StoredFile StoreFileLocked(byte[] content, string folder, string extension, string? fileName, string? mimeType)
    {
        var n = _nextFileNumber++;
        var prefix = folder == "photos" ? "AgACAgIAAxkBAA" : "BQACAgIAAxkBAA";
        var file = new StoredFile(
            $"{prefix}{n:D6}-{Convert.ToHexString(BitConverter.GetBytes(n * 7919))}",
            $"AQAD{n:D6}",
            $"{folder}/file_{n}{extension}",
            content,
            fileName,
            mimeType);
        _files[file.FileId] = file;
        return file;
    }

    private async Task HandleFileAsync(HttpContext http, string token, string path)
    {
        Stats.Request();
        try
        {
            CheckToken(token);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(http, e);
            return;
        }

        StoredFile? file;
        lock (_gate)
        {
            file = _files.Values.FirstOrDefault(f => f.FilePath == path);
        }

        if (file is null)
        {
            await WriteErrorAsync(http, new ApiException(404, "Not Found"));
            return;
        }

        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = file.Content.Length;
        await http.Response.Body.WriteAsync(file.Content, http.RequestAborted);
    }

    private void FillMedia(MessageRecord m, ApiRequest r, string kind)
    {
        StoredFile file;
        if (r.File(kind) is { } upload)
        {
            using var ms = new MemoryStream();
            upload.CopyTo(ms);
            if (kind == "photo" && ms.Length > 10 << 20)
            {
                throw ApiException.BadRequest("PHOTO_INVALID_DIMENSIONS");
            }

            var name = kind == "document" ? upload.FileName : null;
            var extension = kind == "photo" ? ".jpg" : Path.GetExtension(upload.FileName);
            file = StoreFileLocked(ms.ToArray(), kind == "photo" ? "photos" : "documents", extension, name, kind == "document" ? GuessMime(upload.FileName) : null);
        }
        else if (r.String(kind) is { Length: > 0 } fileId)
        {
            file = _files.GetValueOrDefault(fileId.EndsWith("-s", StringComparison.Ordinal) ? fileId[..^2] : fileId)
                ?? throw ApiException.BadRequest("wrong file identifier/HTTP URL specified");
        }
        else
        {
            throw ApiException.BadRequest($"there is no {kind} in the request");
        }

        if (kind == "photo")
        {
            m.Photo = file;
        }
        else
        {
            m.Document = file;
        }

        FillText(m, r, "caption", caption: true);
    }

    private static string GuessMime(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".pdf" => "application/pdf",
        ".txt" => "text/plain",
        _ => "application/octet-stream",
    };

    private JsonObject GetFile(ApiRequest r)
    {
        var fileId = r.String("file_id");
        if (string.IsNullOrEmpty(fileId))
        {
            throw ApiException.BadRequest("file_id not specified");
        }

        lock (_gate)
        {
            var key = fileId.EndsWith("-s", StringComparison.Ordinal) ? fileId[..^2] : fileId;
            if (!_files.TryGetValue(key, out var file))
            {
                throw ApiException.BadRequest("invalid file_id");
            }

            if (file.Content.Length > MaxDownloadBytes)
            {
                throw ApiException.BadRequest("file is too big");
            }

            return new JsonObject
            {
                ["file_id"] = fileId,
                ["file_unique_id"] = file.FileUniqueId,
                ["file_size"] = file.Content.Length,
                ["file_path"] = file.FilePath,
            };
        }
    }
}
