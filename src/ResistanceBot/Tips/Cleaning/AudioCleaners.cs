using System.Buffers.Binary;
using System.Text;

namespace ResistanceBot.Tips;

/// <summary>
/// Cleans MP3 (ID3v2 tags at either end, ID3v1, APE and Lyrics3 tags: titles, artists, comments, pictures, recording dates)
/// and Ogg Vorbis and Opus audio (the comment header: every Vorbis comment and picture, and the encoder's name). The audio
/// frames and pages are kept byte for byte; M4A is an ISO base media file, cleaned by <see cref="IsoBmffCleaner"/>.
/// </summary>
internal static class AudioCleaners
{
    private static readonly uint[] OggCrcTable = BuildOggCrcTable();

    public static CleanResult CleanMp3(byte[] file)
    {
        var start = 0;
        var tags = 0;
        // ID3v2 at the start, perhaps several, each perhaps with a footer.
        while (file.Length - start >= 10 && file.AsSpan(start, 3).SequenceEqual("ID3"u8))
        {
            if (++tags > 16)
            {
                throw new CleanerLimitException("it has too many tags");
            }

            start += 10 + SyncSafe(file.AsSpan(start + 6, 4)) + ((file[start + 5] & 0x10) != 0 ? 10 : 0);
        }

        var end = file.Length;
        // Tags at the end, in any order: ID3v1 (and its extended form), APEv2, Lyrics3 v2, ID3v2 with a footer.
        for (var changed = true; changed && end > start;)
        {
            changed = false;
            var tail = file.AsSpan(start, end - start);
            if (tail.Length >= 128 && tail[^128..].StartsWith("TAG"u8))
            {
                end -= 128;
                if (end - start >= 227 && file.AsSpan(end - 227, 4).SequenceEqual("TAG+"u8))
                {
                    end -= 227;
                }

                changed = true;
            }
            else if (tail.Length >= 32 && tail[^32..].StartsWith("APETAGEX"u8))
            {
                var size = BinaryPrimitives.ReadInt32LittleEndian(tail[^20..]);
                var header = (BinaryPrimitives.ReadUInt32LittleEndian(tail[^12..]) & 0x80000000) != 0 ? 32 : 0;
                end -= CheckedLength(size + header, tail.Length);
                changed = true;
            }
            else if (tail.Length >= 15 && tail[^9..].SequenceEqual("LYRICS200"u8) && int.TryParse(Encoding.ASCII.GetString(tail[^15..^9]), out var lyrics))
            {
                end -= CheckedLength(lyrics + 15, tail.Length);
                changed = true;
            }
            else if (tail.Length >= 10 && tail[^10..].StartsWith("3DI"u8))
            {
                end -= CheckedLength(20 + SyncSafe(tail[^4..]), tail.Length);
                changed = true;
            }
        }

        if (end - start < 4 || file[start] != 0xFF || (file[start + 1] & 0xE0) != 0xE0)
        {
            return CleanResult.Refused(MediaKind.Mp3, "the MP3 is damaged");
        }

        return CleanResult.Done(MediaKind.Mp3, file[start..end], ".mp3");
    }

    /// <summary>
    /// Replaces the comment header of each Vorbis or Opus stream with an empty one (no comments, no encoder name) and renumbers
    /// the pages after it, their checksums computed anew. Several streams side by side (a video in Ogg) are kept as sent.
    /// </summary>
    public static CleanResult CleanOgg(byte[] file)
    {
        var pages = ReadPages(file);
        if (pages.Count == 0)
        {
            return CleanResult.Refused(MediaKind.Ogg, "the Ogg file is damaged");
        }

        using var output = new MemoryStream(file.Length);
        var i = 0;
        while (i < pages.Count)
        {
            // One logical stream at a time (a chained file holds several, one after another).
            var first = pages[i];
            if (!first.Begins || (i + 1 < pages.Count && pages[i + 1].Begins))
            {
                return CleanResult.AsSent(MediaKind.Ogg, file, ".ogg", "the Ogg file holds several streams at once");
            }

            var serial = first.Serial;
            var headers = new List<byte[]>();
            var packet = new MemoryStream();
            var j = i;
            var needed = 0;
            for (; j < pages.Count && (needed == 0 || headers.Count < needed); j++)
            {
                var page = pages[j];
                if (page.Serial != serial)
                {
                    return CleanResult.AsSent(MediaKind.Ogg, file, ".ogg", "the Ogg file holds several streams at once");
                }

                var offset = page.DataStart;
                foreach (var (length, complete) in page.Packets())
                {
                    if (needed > 0 && headers.Count == needed)
                    {
                        // Audio on the page that ends the headers: the specifications forbid it, and it would be lost.
                        return CleanResult.Refused(MediaKind.Ogg, "the Ogg file is damaged");
                    }

                    packet.Write(file, offset, length);
                    offset += length;
                    if (packet.Length > 16 * 1024 * 1024)
                    {
                        throw new CleanerLimitException("a header is too large");
                    }

                    if (complete)
                    {
                        headers.Add(packet.ToArray());
                        packet.SetLength(0);
                        if (headers.Count == 1)
                        {
                            needed = headers[0] switch
                            {
                                [0x01, .. var rest] when rest.AsSpan().StartsWith("vorbis"u8) => 3,
                                var head when head.AsSpan().StartsWith("OpusHead"u8) => 2,
                                _ => -1,
                            };
                            if (needed < 0)
                            {
                                return CleanResult.AsSent(MediaKind.Ogg, file, ".ogg", "the Ogg file holds a kind of audio the bot does not clean");
                            }
                        }
                    }
                }
            }

            if (headers.Count < needed || packet.Length > 0 || needed == 0)
            {
                return CleanResult.Refused(MediaKind.Ogg, "the Ogg file is damaged");
            }

            var vorbis = needed == 3;
            if (!(vorbis ? headers[1].AsSpan().StartsWith("\u0003vorbis"u8) : headers[1].AsSpan().StartsWith("OpusTags"u8)))
            {
                return CleanResult.Refused(MediaKind.Ogg, "the Ogg file is damaged");
            }

            // The first page (identification header) as it was; then the headers after it, laid out anew.
            output.Write(file, first.Start, first.Length);
            byte[] emptyComments = vorbis ? [.. "\u0003vorbis"u8, 0, 0, 0, 0, 0, 0, 0, 0, 1] : [.. "OpusTags"u8, 0, 0, 0, 0, 0, 0, 0, 0];
            var sequence = 1u;
            WritePackets(output, serial, ref sequence, vorbis ? [emptyComments, headers[2]] : [emptyComments]);
            var shift = (long)sequence - pages[j - 1].Sequence - 1;
            for (; j < pages.Count && pages[j].Serial == serial && !pages[j].Begins; j++)
            {
                var page = pages[j];
                var copy = file.AsSpan(page.Start, page.Length).ToArray();
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(18), (uint)(page.Sequence + shift));
                SetCrc(copy);
                output.Write(copy);
            }

            i = j;
        }

        return CleanResult.Done(MediaKind.Ogg, output.ToArray(), pages[0].OpusAt(file) ? ".opus" : ".ogg");
    }

    private readonly record struct OggPage(int Start, int Length, int DataStart, byte Flags, uint Serial, uint Sequence, byte[] Lacing)
    {
        public bool Begins => (Flags & 0x02) != 0;

        public bool OpusAt(byte[] file) => file.AsSpan(DataStart).StartsWith("OpusHead"u8);

        /// <summary>The pieces of packets on this page: their lengths, and whether each ends here.</summary>
        public IEnumerable<(int Length, bool Complete)> Packets()
        {
            var length = 0;
            for (var k = 0; k < Lacing.Length; k++)
            {
                length += Lacing[k];
                if (Lacing[k] < 255)
                {
                    yield return (length, true);
                    length = 0;
                }
            }

            if (length > 0 || (Lacing.Length > 0 && Lacing[^1] == 255))
            {
                yield return (length, false);
            }
        }
    }

    private static List<OggPage> ReadPages(byte[] file)
    {
        var pages = new List<OggPage>();
        var at = 0;
        while (at < file.Length)
        {
            if (pages.Count >= CleanerLimits.MaxElements)
            {
                throw new CleanerLimitException("it has too many pages");
            }

            if (file.Length - at < 27 || !file.AsSpan(at, 4).SequenceEqual("OggS"u8) || file[at + 4] != 0)
            {
                throw new InvalidDataException("Not an Ogg page.");
            }

            var segments = file[at + 26];
            if (file.Length - at < 27 + segments)
            {
                throw new InvalidDataException("An Ogg page is cut short.");
            }

            var lacing = file.AsSpan(at + 27, segments).ToArray();
            var length = 27 + segments + lacing.Sum(b => b);
            if (file.Length - at < length)
            {
                throw new InvalidDataException("An Ogg page is cut short.");
            }

            var page = new OggPage(at, length, at + 27 + segments, file[at + 5], BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 14)),
                BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 18)), lacing);
            var copy = file.AsSpan(at, length).ToArray();
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(22));
            SetCrc(copy);
            if (BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(22)) != crc)
            {
                throw new InvalidDataException("An Ogg page's checksum is wrong.");
            }

            pages.Add(page);
            at += length;
        }

        return pages;
    }

    // Header packets on pages of their own (granule position 0), as the Vorbis and Opus specifications want: the audio that
    // follows starts on a fresh page.
    private static void WritePackets(MemoryStream output, uint serial, ref uint sequence, byte[][] packets)
    {
        var lacing = new List<byte>();
        var data = new MemoryStream();
        var continued = false;
        foreach (var packet in packets)
        {
            var left = packet.Length;
            var offset = 0;
            while (true)
            {
                var piece = Math.Min(255, left);
                lacing.Add((byte)piece);
                data.Write(packet, offset, piece);
                offset += piece;
                left -= piece;
                if (lacing.Count == 255)
                {
                    var ends = piece < 255;
                    WritePage(output, serial, sequence++, continued, lacing, data);
                    continued = !ends;
                    lacing.Clear();
                    data.SetLength(0);
                }

                if (piece < 255)
                {
                    break;
                }
            }
        }

        if (lacing.Count > 0)
        {
            WritePage(output, serial, sequence++, continued, lacing, data);
        }
    }

    private static void WritePage(MemoryStream output, uint serial, uint sequence, bool continued, List<byte> lacing, MemoryStream data)
    {
        var page = new byte[27 + lacing.Count + data.Length];
        "OggS"u8.CopyTo(page);
        page[5] = (byte)(continued ? 0x01 : 0x00);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), sequence);
        page[26] = (byte)lacing.Count;
        lacing.CopyTo(page, 27);
        data.GetBuffer().AsSpan(0, (int)data.Length).CopyTo(page.AsSpan(27 + lacing.Count));
        SetCrc(page);
        output.Write(page);
    }

    // Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, starting at 0, computed with the checksum field zeroed.
    private static void SetCrc(byte[] page)
    {
        page.AsSpan(22, 4).Clear();
        var crc = 0u;
        foreach (var b in page)
        {
            crc = (crc << 8) ^ OggCrcTable[(byte)(crc >> 24) ^ b];
        }

        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), crc);
    }

    private static uint[] BuildOggCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var r = n << 24;
            for (var k = 0; k < 8; k++)
            {
                r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            }

            table[n] = r;
        }

        return table;
    }

    private static int SyncSafe(ReadOnlySpan<byte> size) =>
        (size[0] & 0x7F) << 21 | (size[1] & 0x7F) << 14 | (size[2] & 0x7F) << 7 | (size[3] & 0x7F);

    private static int CheckedLength(int length, int available) =>
        length >= 0 && length <= available ? length : throw new InvalidDataException("A tag is larger than the file.");
}
