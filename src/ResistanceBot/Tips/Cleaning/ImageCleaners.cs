using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ResistanceBot.Tips;

/// <summary>
/// Removes metadata from JPEG, PNG and WebP files (EXIF with GPS and serial numbers, XMP, IPTC, comments, text and time chunks,
/// colour profiles that can name a device, thumbnails that can show what a crop or a blur removed) at the container level,
/// keeping what is needed to display the image and never decoding pixels. A malformed file is refused.
/// </summary>
internal static class ImageCleaners
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Chunks needed to show a PNG (or APNG) correctly; every other ancillary chunk is dropped (tEXt, zTXt, iTXt, tIME, eXIf,
    // iCCP, …). sRGB, gAMA and cHRM say how to show colours without naming anything.
    private static readonly HashSet<string> PngKeep = new(StringComparer.Ordinal)
    {
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "acTL", "fcTL", "fdAT",
    };

    /// <summary>
    /// Keeps SOI, quantisation and Huffman tables, frame and scan headers, restart intervals, JFIF (APP0, without its thumbnail)
    /// and Adobe colour info (APP14), and the scans; drops JFXX thumbnails, APP1 (EXIF, XMP), ICC profiles (APP2), other APPn
    /// (IPTC, MPF with its embedded second images, maker data), comments, and anything after EOI.
    /// </summary>
    public static CleanResult CleanJpeg(byte[] jpeg)
    {
        var output = new PieceWriter();
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
                return sawFrame ? CleanResult.Done(MediaKind.Jpeg, output.ToArray(), ".jpg") : CleanResult.Refused(MediaKind.Jpeg, "the JPEG has no image");
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
            if (marker == 0xE0 && segment.Length >= 14 && segment.StartsWith("JFIF\0"u8))
            {
                // JFIF without its thumbnail: version, units, densities, and a 0 × 0 thumbnail.
                output.Write([0xFF, 0xE0, 0x00, 0x10]);
                output.Write(segment[..12]);
                output.Write([0, 0]);
                i += 2 + length;
                continue;
            }

            var keep = marker switch
            {
                0xEE => segment.StartsWith("Adobe"u8),                // colour transform for CMYK/YCCK
                >= 0xE0 and <= 0xEF => false,                         // JFXX thumbnails, EXIF, XMP, ICC, IPTC, maker notes…
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

    public static CleanResult CleanPng(byte[] png)
    {
        var output = new PieceWriter();
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
                return CleanResult.Done(MediaKind.Png, output.ToArray(), ".png");
            }
        }
    }

    /// <summary>Drops EXIF, XMP and ICC chunks (and unknown ones) from a RIFF/WebP file and clears their flags in VP8X.</summary>
    public static CleanResult CleanWebP(byte[] webp)
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

            var keep = fourCc is "VP8 " or "VP8L" or "VP8X" or "ALPH" or "ANIM" or "ANMF";
            sawImage |= fourCc is "VP8 " or "VP8L" or "ANMF";
            if (keep)
            {
                var start = (int)chunks.Length;
                chunks.Write(webp, i, 8 + (int)padded);
                if (fourCc == "VP8X")
                {
                    var flags = chunks.GetBuffer();
                    flags[start + 8] &= unchecked((byte)~(0x20 | 0x08 | 0x04)); // ICC, EXIF and XMP flags
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
        return CleanResult.Done(MediaKind.WebP, output, ".webp");
    }
}

/// <summary>
/// Builds a cleaned file out of pieces of the original (and a few bytes of its own), then copies them once into an array of the
/// exact size: one copy of the file in memory, where a MemoryStream would hold two.
/// </summary>
internal sealed class PieceWriter
{
    private readonly List<(byte[] From, int Offset, int Length)> _pieces = [];
    private int _length;

    public void Write(byte[] from, int offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)offset + length, from.Length);
        if (_pieces.Count > 0 && _pieces[^1] is var (last, o, l) && ReferenceEquals(last, from) && o + l == offset)
        {
            _pieces[^1] = (from, o, l + length); // runs of the original are copied as one
        }
        else
        {
            _pieces.Add((from, offset, length));
        }

        _length += length;
    }

    /// <summary>Bytes of the writer's own (a rewritten header): copied now, they are few.</summary>
    public void Write(ReadOnlySpan<byte> bytes) => Write(bytes.ToArray(), 0, bytes.Length);

    public byte[] ToArray()
    {
        var output = GC.AllocateUninitializedArray<byte>(_length);
        var at = 0;
        foreach (var (from, offset, length) in _pieces)
        {
            from.AsSpan(offset, length).CopyTo(output.AsSpan(at));
            at += length;
        }

        return output;
    }
}
