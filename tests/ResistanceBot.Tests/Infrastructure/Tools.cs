using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// The real command-line tools the file-cleaning tests build dirty files with and judge cleaned ones by: ffmpeg and ffprobe,
/// exiftool, libheif's heif-enc and heif-convert (tests/tools installs them). A tool that is missing fails the test with the
/// package to install: a judge that cannot run must not pass for one that found nothing.
/// </summary>
internal static class Tools
{
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ffmpeg"] = "ffmpeg",
        ["ffprobe"] = "ffmpeg",
        ["exiftool"] = "libimage-exiftool-perl",
        ["heif-enc"] = "libheif-examples",
        ["heif-convert"] = "libheif-examples",
    };

    /// <summary>Runs a tool to its end; its standard output, or an exception with its standard error if it failed.</summary>
    public static string Run(string tool, params string[] args)
    {
        var (code, output, error) = TryRun(tool, args);
        return code == 0 ? output : throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {code}: {error}");
    }

    public static (int Code, string Output, string Error) TryRun(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{tool} is not installed: run tests/tools (or apt-get install {Packages.GetValueOrDefault(tool, tool)}).");
        }

        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error.Result);
        }
    }

    /// <summary>
    /// What `exiftool -a -G1 -ee` finds in a file (every duplicate, the specific group, embedded documents), as "Group:Tag" to
    /// value; the System group (the file's own name and times on this disk) is left out.
    /// </summary>
    public static IReadOnlyList<(string Group, string Tag, string Value)> ExifTool(string path)
    {
        using var json = JsonDocument.Parse(Run("exiftool", "-j", "-a", "-G1", "-ee", "-u", "-api", "LargeFileSupport=1", path));
        var tags = new List<(string, string, string)>();
        foreach (var property in json.RootElement[0].EnumerateObject())
        {
            var split = property.Name.IndexOf(':', StringComparison.Ordinal);
            if (split < 0)
            {
                continue; // SourceFile
            }

            var group = property.Name[..split];
            if (group is "System" or "ExifTool")
            {
                continue;
            }

            tags.Add((group, property.Name[(split + 1)..], property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText()));
        }

        return tags;
    }

    public sealed record Stream(string Type, string Codec, double Duration, string Size);

    /// <summary>Each stream ffprobe reads in a file: its type, codec, duration in seconds (0 when none is given) and picture size.</summary>
    public static IReadOnlyList<Stream> Streams(string path)
    {
        using var json = JsonDocument.Parse(Run("ffprobe", "-v", "error", "-show_streams", "-of", "json", path));
        return json.RootElement.GetProperty("streams").EnumerateArray().Select(s => new Stream(
            s.GetProperty("codec_type").GetString()!,
            s.GetProperty("codec_name").GetString()!,
            s.TryGetProperty("duration", out var d) ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : 0,
            s.TryGetProperty("width", out var w) ? $"{w.GetInt32()}x{s.GetProperty("height").GetInt32()}" : "")).ToList();
    }

    /// <summary>
    /// Each packet of every stream as ffmpeg reads it without decoding (stream, times, size, MD5 of its bytes; side data, where
    /// ffmpeg puts the metadata it read, left out): equal lists mean every sample byte was kept.
    /// </summary>
    public static IReadOnlyList<string> PacketHashes(string path) => Hashes(path, "-c", "copy");

    /// <summary>An MD5 of every decoded frame of every stream: equal lists mean the picture or sound is unchanged.</summary>
    public static IReadOnlyList<string> FrameHashes(string path) => Hashes(path);

    private static List<string> Hashes(string path, params string[] codec) =>
        [.. Run("ffmpeg", ["-v", "error", "-i", path, "-map", "0", .. codec, "-f", "framemd5", "-"]).Split('\n')
            .Where(l => l.Length > 0 && l[0] != '#').Select(l => string.Join(',', l.Split(',').Take(6)))];

    /// <summary>What ffmpeg says decoding every frame of every stream (empty when all decode cleanly).</summary>
    public static string DecodeErrors(string path) => TryRun("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-") is var (code, _, error) && code == 0 ? error.Trim() : $"exit {code}: {error}";
}
