using System.IO.Compression;

namespace ResistanceBot.Tips;

/// <summary>What a file is, decided by its bytes alone (never by its name or declared type). Stored as text: 8 letters at most.</summary>
internal enum MediaKind
{
    Jpeg,
    Png,
    WebP,

    /// <summary>HEIC, HEIF, AVIF: ISO base media files that hold images.</summary>
    Heif,

    /// <summary>MP4, MOV, 3GP, M4A: ISO base media files that hold video or audio.</summary>
    Mp4,
    Pdf,

    /// <summary>Word, Excel and PowerPoint files (docx, xlsx, pptx).</summary>
    Ooxml,

    /// <summary>OpenDocument text, spreadsheets and presentations (odt, ods, odp).</summary>
    Odf,
    Mp3,

    /// <summary>Ogg Vorbis and Ogg Opus audio.</summary>
    Ogg,

    /// <summary>Any other ZIP archive: each file in it cleaned in turn.</summary>
    Archive,

    /// <summary>Plain text (UTF-8, no control characters): it holds nothing but what it says.</summary>
    Text,

    /// <summary>A type the bot cannot clean (executables, unknown formats).</summary>
    Other,
}

/// <summary>
/// The outcome of cleaning. <see cref="Content"/> is null when the file was refused (damaged, hostile, or past a limit); else
/// <see cref="Cleaned"/> says whether its metadata was removed or it is kept as sent (a type no cleaner covers).
/// </summary>
internal sealed record CleanResult(MediaKind Kind, byte[]? Content, bool Cleaned, string? Refusal, string Extension)
{
    /// <summary>Whether the file was refused for going past <see cref="CleanerLimits"/> rather than for being damaged.</summary>
    public bool PastLimits { get; init; }

    public static CleanResult Refused(MediaKind kind, string reason, bool pastLimits = false) => new(kind, null, false, reason, ".bin") { PastLimits = pastLimits };

    public static CleanResult Done(MediaKind kind, byte[] content, string extension) => new(kind, content, true, null, extension);

    public static CleanResult AsSent(MediaKind kind, byte[] content, string extension, string? why = null) => new(kind, content, false, why, extension);
}

/// <summary>
/// Removes metadata from every kind of file a tipster may send, by its content: images (JPEG, PNG, WebP, HEIF/AVIF), video and
/// audio in ISO base media files (MP4, MOV, 3GP, M4A), MP3, Ogg, PDF, Office and OpenDocument files, ZIP archives (each file in
/// them in turn); plain text holds nothing to remove. Containers are rewritten,
/// never their pictures or sound decoded, so no decoder parses hostile data. Whatever goes wrong in a cleaner (a damaged or
/// hostile file, a limit reached) ends here as a refusal: nothing throws past this method.
/// </summary>
internal static class MediaCleaner
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static MediaKind Detect(ReadOnlySpan<byte> content)
    {
        if (content is [0xFF, 0xD8, 0xFF, ..])
        {
            return MediaKind.Jpeg;
        }

        if (content.StartsWith(PngSignature))
        {
            return MediaKind.Png;
        }

        if (content.Length >= 12 && content[..4].SequenceEqual("RIFF"u8) && content[8..12].SequenceEqual("WEBP"u8))
        {
            return MediaKind.WebP;
        }

        if (content.Length >= 12 && content[4..8].SequenceEqual("ftyp"u8))
        {
            return IsoBmffCleaner.IsImage(content) ? MediaKind.Heif : MediaKind.Mp4;
        }

        if (content.StartsWith("%PDF-"u8))
        {
            return MediaKind.Pdf;
        }

        if (content.StartsWith("PK\u0003\u0004"u8))
        {
            return OfficeCleaner.Detect(content);
        }

        if (content.StartsWith("ID3"u8) || (content.Length > 2 && content[0] == 0xFF && (content[1] & 0xE0) == 0xE0 && (content[1] & 0x06) != 0))
        {
            return MediaKind.Mp3;
        }

        if (content.StartsWith("OggS"u8))
        {
            return MediaKind.Ogg;
        }

        return IsPlainText(content) ? MediaKind.Text : MediaKind.Other;
    }

    /// <summary>UTF-8 text with no control characters but tabs and line ends: nothing in it but what a reader sees.</summary>
    private static bool IsPlainText(ReadOnlySpan<byte> content)
    {
        if (content.IsEmpty || !System.Text.Unicode.Utf8.IsValid(content))
        {
            return false;
        }

        foreach (var b in content)
        {
            if ((b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f')) || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a cleaned file is compressed already (pictures, sound, video, PDF), so that an archive stores it rather than
    /// deflating it again. ZIP containers (documents, archives) are known by their signature, without opening them.
    /// </summary>
    public static bool IsCompressed(ReadOnlySpan<byte> content) =>
        !content.StartsWith("PK\u0003\u0004"u8) && Detect(content) is not (MediaKind.Other or MediaKind.Text);

    /// <summary>The usual extension of a kind, for files stored before the extension was (by content, at cleaning).</summary>
    public static string ExtensionOf(MediaKind kind) => kind switch
    {
        MediaKind.Jpeg => ".jpg",
        MediaKind.Png => ".png",
        MediaKind.WebP => ".webp",
        MediaKind.Heif => ".heic",
        MediaKind.Mp4 => ".mp4",
        MediaKind.Pdf => ".pdf",
        MediaKind.Ooxml => ".docx",
        MediaKind.Odf => ".odt",
        MediaKind.Mp3 => ".mp3",
        MediaKind.Ogg => ".ogg",
        MediaKind.Archive => ".zip",
        MediaKind.Text => ".txt",
        _ => ".bin",
    };

    public static CleanResult Clean(byte[] content) => Clean(content, depth: 0);

    /// <summary>Cleans a file; <paramref name="depth"/> counts the documents it is embedded in.</summary>
    public static CleanResult Clean(byte[] content, int depth)
    {
        ArgumentNullException.ThrowIfNull(content);
        var kind = Detect(content);
        try
        {
            return kind switch
            {
                MediaKind.Jpeg => ImageCleaners.CleanJpeg(content),
                MediaKind.Png => ImageCleaners.CleanPng(content),
                MediaKind.WebP => ImageCleaners.CleanWebP(content),
                MediaKind.Heif or MediaKind.Mp4 => IsoBmffCleaner.Clean(content, kind),
                MediaKind.Pdf => PdfCleaner.Clean(content),
                MediaKind.Ooxml or MediaKind.Odf => OfficeCleaner.Clean(content, kind, depth),
                MediaKind.Mp3 => AudioCleaners.CleanMp3(content),
                MediaKind.Ogg => AudioCleaners.CleanOgg(content),
                MediaKind.Archive => ArchiveCleaner.Clean(content, depth),
                MediaKind.Text => CleanResult.Done(kind, content, ".txt"),
                _ => CleanResult.AsSent(kind, content, ".bin"),
            };
        }
        catch (CleanerLimitException e)
        {
            return CleanResult.Refused(kind, e.Message, pastLimits: true);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
        {
            // A cleaner met a structure it did not expect: the file is refused, whatever the exception (a hostile file
            // must not reach moderators half cleaned, nor stop the tip line).
            return CleanResult.Refused(kind, "the file is damaged");
        }
    }
}

/// <summary>The limits every cleaner keeps to, so that a hostile file costs a bounded amount of work and memory.</summary>
internal static class CleanerLimits
{
    /// <summary>Boxes in an ISO base media file, entries in a ZIP, pages in an Ogg stream, objects in a PDF.</summary>
    public const int MaxElements = 200_000;

    /// <summary>Entries in a document's ZIP.</summary>
    public const int MaxZipEntries = 10_000;

    /// <summary>How deep documents may be embedded in documents.</summary>
    public const int MaxDocumentNesting = 3;

    /// <summary>How deep boxes may nest.</summary>
    public const int MaxDepth = 16;

    /// <summary>What a ZIP's entries may inflate to, in all (a zip bomb stops here).</summary>
    public const long MaxInflatedBytes = 200L * 1024 * 1024;

    /// <summary>How much more an entry may inflate than it takes in the ZIP.</summary>
    public const int MaxInflationRatio = 200;

    /// <summary>How deep elements may nest in a document's XML (Word's own limit on nested tables is far below).</summary>
    public const int MaxXmlDepth = 512;

    /// <summary>Characters in one XML part of a document.</summary>
    public const long MaxXmlCharacters = 50L * 1024 * 1024;

    /// <summary>Reads an entry of a ZIP whole, refusing one that inflates past the limits (however its header lies).</summary>
    public static byte[] Inflate(ZipArchiveEntry entry, ref long budget)
    {
        if (entry.Length > budget || (entry.CompressedLength > 0 && entry.Length / Math.Max(1, entry.CompressedLength) > MaxInflationRatio))
        {
            throw new CleanerLimitException("a part of it inflates past the limits");
        }

        using var stream = entry.Open();
        // Read into an array of the size the header gives; a part that holds more than it says is refused as damaged.
        var data = GC.AllocateUninitializedArray<byte>((int)entry.Length);
        var got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        budget -= got;
        Span<byte> more = stackalloc byte[1];
        if (got != data.Length || stream.Read(more) != 0)
        {
            throw new InvalidDataException("a part of the ZIP is not the size its header says");
        }

        return data;
    }
}

/// <summary>A file goes past one of <see cref="CleanerLimits"/>: it is refused, and the tipster told why.</summary>
internal sealed class CleanerLimitException(string reason) : Exception(reason);
