using Microsoft.Extensions.Options;
using ResistanceBot.Storage;

namespace ResistanceBot.Archive;

internal static class ArchiveFeature
{
    public static IServiceCollection AddArchive(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ArchiveOptions>().Bind(configuration.GetSection(ArchiveOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ArchiveOptions>, ArchiveOptionsValidator>();
        services.AddSingleton<ArchiveSite>();
        return services;
    }

    /// <summary>
    /// /archive on the bot's own web server. Nothing about a visitor is kept or logged: the bot writes no access log, and the
    /// framework's own logging is at Warning, which names no client address.
    /// </summary>
    public static void MapArchive(this WebApplication app)
    {
        app.MapGet("/archive/{**path}", async (HttpContext http, string? path, ArchiveSite site, BotDbContext db) =>
        {
            if (http.Request.Path.Value == "/archive")
            {
                // The pages' links are relative to the folder: /archive itself must end with its slash.
                return Results.Redirect("/archive/", permanent: true);
            }

            var file = await site.FileAsync(db, path ?? "", http.RequestAborted);
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ArchiveSite.Policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            if (file is null)
            {
                return Results.NotFound();
            }

            headers.CacheControl = "public, max-age=300";
            return Results.Bytes(file.Content, file.ContentType);
        });
    }

    /// <summary>archive export DIR: every page of the archive as files, for a mirror or an onion service.</summary>
    public static async Task<int> ExportAsync(IServiceProvider services, string directory, TextWriter output, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BotDbContext>();
        var site = services.GetRequiredService<ArchiveSite>();
        var paths = await ArchiveSite.PathsAsync(db, ct);
        var root = Path.GetFullPath(directory);
        foreach (var path in paths)
        {
            var file = await site.FileAsync(db, path, ct) ?? throw new InvalidOperationException("An archive page listed but not rendered: " + path);
            var target = Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllBytesAsync(target, file.Content, ct);
        }

        await output.WriteLineAsync($"Wrote the archive to {root}: {paths.Count} files. It holds published editions only; copy it to the mirror as it is.");
        return 0;
    }
}
