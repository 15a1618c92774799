using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ResistanceBot.Tips;

internal enum MediaKind
{
    Jpeg,
    Png,
    WebP,

    /// <summary>A type the bot cannot clean (PDF, Office, video…): stored as sent and marked so for moderators.</summary>
    Other,
}

/// <summary>The outcome of cleaning: the cleaned bytes, or why the file was refused.</summary>
internal sealed record CleanResult(MediaKind Kind, byte[]? Content, bool Cleaned, string? Refusal)
{
    public static CleanResult Refused(MediaKind kind, string reason) => new(kind, null, false, reason);
}

/// <summary>
/// Removes metadata (EXIF with GPS and serial numbers, XMP, IPTC, comments, text and time chunks) at the container level,
/// keeping what is needed to display the image and never decoding pixels, so no image decoder ever parses hostile data.
/// A malformed file is refused; nothing here throws on bad input.
/// </summary>
internal static class MediaCleaner
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Chunks needed to show a PNG (or APNG) correctly; every other ancillary chunk is dropped (tEXt, zTXt, iTXt, tIME, eXIf, …).
    private static readonly HashSet<string> PngKeep = new(StringComparer.Ordinal)
    {
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "acTL", "fcTL", "fdAT",
    };

    public static MediaKind Detect(ReadOnlySpan<byte> content) => content switch
    {
        [0xFF, 0xD8, 0xFF, ..] => MediaKind.Jpeg,
        _ when content.StartsWith(PngSignature) => MediaKind.Png,
        _ when content.Length >= 12 && content[..4].SequenceEqual("RIFF"u8) && content[8..12].SequenceEqual("WEBP"u8) => MediaKind.WebP,
        _ => MediaKind.Other,
    };

    public static CleanResult Clean(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var kind = Detect(content);
        try
        {
            return kind switch
            {
                MediaKind.Jpeg => CleanJpeg(content),
                MediaKind.Png => CleanPng(content),
                MediaKind.WebP => CleanWebP(content),
                _ => new CleanResult(MediaKind.Other, content, false, null),
            };
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException or ArgumentException)
        {
            return CleanResult.Refused(kind, "the file is damaged");
        }
    }

    /// <summary>
    /// Keeps SOI, quantisation and Huffman tables, frame and scan headers, restart intervals, JFIF (APP0), ICC profiles (APP2
    /// "ICC_PROFILE") and Adobe colour info (APP14), and the scans; drops APP1 (EXIF, XMP), other APPn (IPTC, MPF with its
    /// embedded second images, maker data), comments, and anything after EOI.
    /// </summary>
    private static CleanResult CleanJpeg(byte[] jpeg)
    {
        var output = new MemoryStream(jpeg.Length);
        output.Write(jpeg, 0, 2);
        var i = 2;
        var sawFrame = false;
        while (true)
        {
            if (i + 1 >= jpeg.Length)
            {
                return CleanResult.Refused(MediaKind.Jpeg, "the JPEG ends before its end marker");
            }

            if (jpeg[i] != 0xFF)
            {
                return CleanResult.Refused(MediaKind.Jpeg, "the JPEG is damaged");
            }

            var marker = jpeg[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker == 0xD9)
            {
                output.Write(jpeg, i, 2); // EOI: whatever follows (trailers with metadata) is dropped
                return sawFrame ? new CleanResult(MediaKind.Jpeg, output.ToArray(), true, null) : CleanResult.Refused(MediaKind.Jpeg, "the JPEG has no image");
            }

            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
            {
                output.Write(jpeg, i, 2);
                i += 2;
                continue;
            }

            if (i + 3 >= jpeg.Length)
            {
                return CleanResult.Refused(MediaKind.Jpeg, "the JPEG is truncated");
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(i + 2));
            if (length < 2 || i + 2 + length > jpeg.Length)
            {
                return CleanResult.Refused(MediaKind.Jpeg, "the JPEG is truncated");
            }

            var segment = jpeg.AsSpan(i + 2 + 2, length - 2);
            var keep = marker switch
            {
                0xE0 => true,                                         // JFIF
                0xE2 => segment.StartsWith("ICC_PROFILE\0"u8),        // colour profile, not MPF or FlashPix
                0xEE => segment.StartsWith("Adobe"u8),                // colour transform for CMYK/YCCK
                >= 0xE0 and <= 0xEF => false,                         // EXIF, XMP, IPTC, maker notes…
                0xFE => false,                                        // comment
                _ => true,                                            // tables, frame, scan headers
            };
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                sawFrame = true;
            }

            if (keep)
            {
                output.Write(jpeg, i, 2 + length);
            }

            i += 2 + length;
            if (marker == 0xDA)
            {
                // Entropy-coded data: runs until a marker that is neither stuffing (FF00) nor a restart (FFD0-D7).
                var start = i;
                while (i + 1 < jpeg.Length && !(jpeg[i] == 0xFF && jpeg[i + 1] != 0x00 && jpeg[i + 1] is not (>= 0xD0 and <= 0xD7)))
                {
                    i++;
                }

                output.Write(jpeg, start, i - start);
            }
        }
    }

    private static CleanResult CleanPng(byte[] png)
    {
        var output = new MemoryStream(png.Length);
        output.Write(PngSignature);
        var i = PngSignature.Length;
        var first = true;
        while (true)
        {
            if (i + 12 > png.Length)
            {
                return CleanResult.Refused(MediaKind.Png, "the PNG ends before its end chunk");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(i));
            if (length > int.MaxValue || i + 12 + (long)length > png.Length)
            {
                return CleanResult.Refused(MediaKind.Png, "the PNG is truncated");
            }

            var type = Encoding.ASCII.GetString(png, i + 4, 4);
            var chunk = png.AsSpan(i, 12 + (int)length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(chunk[^4..]);
            if (Crc32.HashToUInt32(chunk[4..^4]) != crc)
            {
                return CleanResult.Refused(MediaKind.Png, "the PNG is damaged");
            }

            if (first && type != "IHDR")
            {
                return CleanResult.Refused(MediaKind.Png, "the PNG has no header");
            }

            first = false;
            var critical = char.IsAsciiLetterUpper(type[0]);
            if (PngKeep.Contains(type))
            {
                output.Write(chunk);
            }
            else if (critical)
            {
                return CleanResult.Refused(MediaKind.Png, "the PNG uses an unknown critical chunk");
            }

            i += 12 + (int)length;
            if (type == "IEND")
            {
                return new CleanResult(MediaKind.Png, output.ToArray(), true, null);
            }
        }
    }

    /// <summary>Drops EXIF and XMP chunks (and unknown ones) from a RIFF/WebP file and clears their flags in VP8X.</summary>
    private static CleanResult CleanWebP(byte[] webp)
    {
        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(4));
        if (riffSize + 8L > webp.Length || riffSize < 4)
        {
            return CleanResult.Refused(MediaKind.WebP, "the WebP is truncated");
        }

        var end = (int)riffSize + 8;
        var chunks = new MemoryStream(webp.Length);
        var i = 12;
        var sawImage = false;
        while (i < end)
        {
            if (i + 8 > end)
            {
                return CleanResult.Refused(MediaKind.WebP, "the WebP is truncated");
            }

            var fourCc = Encoding.ASCII.GetString(webp, i, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(i + 4));
            var padded = size + (size & 1);
            if (i + 8 + padded > end)
            {
                return CleanResult.Refused(MediaKind.WebP, "the WebP is truncated");
            }

            var keep = fourCc is "VP8 " or "VP8L" or "VP8X" or "ALPH" or "ANIM" or "ANMF" or "ICCP";
            sawImage |= fourCc is "VP8 " or "VP8L" or "ANMF";
            if (keep)
            {
                var start = (int)chunks.Length;
                chunks.Write(webp, i, 8 + (int)padded);
                if (fourCc == "VP8X")
                {
                    var flags = chunks.GetBuffer();
                    flags[start + 8] &= unchecked((byte)~(0x08 | 0x04)); // EXIF and XMP flags
                }
            }

            i += 8 + (int)padded;
        }

        if (!sawImage)
        {
            return CleanResult.Refused(MediaKind.WebP, "the WebP has no image");
        }

        var output = new byte[12 + chunks.Length];
        "RIFF"u8.CopyTo(output);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(4), (uint)(4 + chunks.Length));
        "WEBP"u8.CopyTo(output.AsSpan(8));
        chunks.GetBuffer().AsSpan(0, (int)chunks.Length).CopyTo(output.AsSpan(12));
        return new CleanResult(MediaKind.WebP, output, true, null);
    }
}
