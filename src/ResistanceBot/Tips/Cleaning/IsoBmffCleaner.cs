using System.Buffers.Binary;
using System.Text;

namespace ResistanceBot.Tips;

/// <summary>
/// Cleans ISO base media files (ISO/IEC 14496-12: MP4, MOV, 3GP, M4A; and ISO/IEC 23008-12: HEIC, HEIF, AVIF) box by box. It
/// drops user data (<c>udta</c>: the place a video was shot, <c>©xyz</c>, <c>loci</c>, the phone's make and model, iTunes tags),
/// QuickTime metadata (<c>meta</c> with <c>keys</c>/<c>ilst</c>: <c>com.apple.quicktime.location.ISO6709</c>, make, model),
/// vendor <c>uuid</c> boxes (XMP among them), <c>free</c>/<c>skip</c> padding (which can hold old metadata) and the optional
/// <c>mfra</c> index; in HEIF files, the Exif and XMP items with their locations, references and properties (their bytes are
/// zeroed where they stay). Creation and modification times in <c>mvhd</c>, <c>tkhd</c> and <c>mdhd</c> become zero. Every
/// sample byte is copied as it is; every absolute offset into the file (<c>stco</c>, <c>co64</c>, <c>saio</c>,
/// <c>tfhd</c>, <c>iloc</c>) is moved to where its bytes now are.
/// </summary>
internal static class IsoBmffCleaner
{
    private static readonly HashSet<string> ImageBrands = new(StringComparer.Ordinal) { "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis" };

    // Boxes whose children are boxes (after the FullBox header, for the ones in FullBoxes).
    private static readonly HashSet<string> Containers = new(StringComparer.Ordinal)
    {
        "moov", "trak", "mdia", "minf", "stbl", "dinf", "edts", "mvex", "moof", "traf", "iprp", "ipco", "iinf", "iref",
    };

    private static readonly HashSet<string> FullBoxes = new(StringComparer.Ordinal) { "meta", "iinf", "iref" };

    private static readonly byte[] XmpUuid = Convert.FromHexString("BE7ACFCB97A942E89C71999491E3AFAC");

    private sealed class Box
    {
        public required string Type { get; init; }

        public long Start { get; init; }

        public long Size { get; init; }

        public int HeaderSize { get; init; }

        public List<Box>? Children { get; set; }

        public long End => Start + Size;

        /// <summary>Where the box's own content begins (after the header and, for FullBoxes, version and flags).</summary>
        public long Body => Start + HeaderSize + (FullBoxes.Contains(Type) ? 4 : 0);
    }

    /// <summary>A run of bytes copied unchanged: where it was, and where it is now.</summary>
    private readonly record struct Segment(long From, long Length, long To);

    /// <summary>An absolute file offset written in the output, to be moved once the layout is known.</summary>
    private readonly record struct Fixup(long At, int Size, long Original);

    public static bool IsImage(ReadOnlySpan<byte> content) =>
        content.Length >= 12 && ImageBrands.Contains(Encoding.ASCII.GetString(content.Slice(8, 4)));

    public static CleanResult Clean(byte[] file, MediaKind kind)
    {
        var count = 0;
        var heif = kind == MediaKind.Heif;
        var boxes = Parse(file, 0, file.Length, 0, heif, ref count);
        if (boxes.Count == 0 || boxes[0].Type != "ftyp")
        {
            return CleanResult.Refused(kind, "the file does not start as an ISO media file");
        }

        var brand = Encoding.ASCII.GetString(file, 8, 4);
        var removedItems = new HashSet<uint>();
        var zeroed = new List<(long Start, long Length)>();
        if (heif && boxes.FirstOrDefault(b => b.Type == "meta") is { } topMeta)
        {
            MetadataItems(file, topMeta, removedItems, zeroed);
        }

        using var writer = new Writer(file, removedItems);
        foreach (var box in boxes)
        {
            writer.Write(box, depth: 0, topLevel: true, heif);
        }

        var output = writer.Finish(zeroed);
        var extension = kind == MediaKind.Heif ? (brand.StartsWith("avi", StringComparison.Ordinal) ? ".avif" : ".heic")
            : brand.StartsWith("qt", StringComparison.Ordinal) ? ".mov"
            : brand.StartsWith("3g", StringComparison.Ordinal) ? ".3gp"
            : brand.StartsWith("M4A", StringComparison.Ordinal) ? ".m4a" : ".mp4";
        return CleanResult.Done(kind, output, extension);
    }

    private static List<Box> Parse(byte[] file, long start, long end, int depth, bool heif, ref int count)
    {
        if (depth > CleanerLimits.MaxDepth)
        {
            throw new CleanerLimitException("boxes nest too deep");
        }

        var boxes = new List<Box>();
        var i = start;
        while (i < end)
        {
            if (++count > CleanerLimits.MaxElements)
            {
                throw new CleanerLimitException("it has too many boxes");
            }

            if (end - i < 8)
            {
                if (depth == 0)
                {
                    break; // a few bytes after the last box: not part of the file's structure, dropped
                }

                throw new InvalidDataException("A box is cut short.");
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)i));
            var type = Encoding.Latin1.GetString(file, (int)i + 4, 4);
            var header = 8;
            if (size == 1)
            {
                if (end - i < 16)
                {
                    throw new InvalidDataException("A box is cut short.");
                }

                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan((int)i + 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = end - i; // to the end of its parent (of the file, at the top)
            }

            if (type == "uuid")
            {
                header += 16;
            }

            if (size < header || size > end - i)
            {
                if (depth == 0 && boxes.Any(b => b.Type is "moov" or "meta") && boxes.Any(b => b.Type == "mdat"))
                {
                    break; // a vendor's trailer after a complete file (Samsung's): not a box, dropped with whatever it holds
                }

                throw new InvalidDataException("A box is larger than its parent.");
            }

            var box = new Box { Type = type, Start = i, Size = size, HeaderSize = header };
            // A HEIF file's top-level meta holds its image items; any other meta (QuickTime's is no FullBox) is dropped unread.
            if (Containers.Contains(type) || (type == "meta" && depth == 0 && heif))
            {
                var body = box.Body + (type == "iinf" ? (file[(int)box.Start + header] == 0 ? 2 : 4) : 0);
                if (body > box.End)
                {
                    throw new InvalidDataException("A box is cut short.");
                }

                box.Children = Parse(file, body, box.End, depth + 1, heif, ref count);
            }

            boxes.Add(box);
            i += size;
        }

        return boxes;
    }

    /// <summary>HEIF: the Exif and XMP items of the top-level meta box, and where their bytes are (to be zeroed).</summary>
    private static void MetadataItems(byte[] file, Box meta, HashSet<uint> removed, List<(long Start, long Length)> zeroed)
    {
        foreach (var infe in meta.Children?.FirstOrDefault(b => b.Type == "iinf")?.Children?.Where(b => b.Type == "infe") ?? [])
        {
            var s = file.AsSpan((int)infe.Start + infe.HeaderSize, (int)(infe.Size - infe.HeaderSize));
            var version = s[0];
            if (version < 2)
            {
                continue;
            }

            var (id, at) = version == 2 ? (BinaryPrimitives.ReadUInt16BigEndian(s[4..]), 6) : (BinaryPrimitives.ReadUInt32BigEndian(s[4..]), 8);
            var itemType = Encoding.Latin1.GetString(s.Slice(at + 2, 4));
            var rest = Encoding.Latin1.GetString(s[(at + 6)..]);
            if (itemType == "Exif" || (itemType == "mime" && (rest.Contains("xmp", StringComparison.OrdinalIgnoreCase) || rest.Contains("rdf+xml", StringComparison.OrdinalIgnoreCase))))
            {
                removed.Add(id);
            }
        }

        if (removed.Count == 0 || meta.Children?.FirstOrDefault(b => b.Type == "iloc") is not { } iloc)
        {
            return;
        }

        var idat = meta.Children?.FirstOrDefault(b => b.Type == "idat");
        foreach (var item in ReadIloc(file, iloc).Items.Where(i => removed.Contains(i.Id)))
        {
            foreach (var (offset, length) in item.Extents)
            {
                var start = item.Method == 1 && idat is not null ? idat.Start + idat.HeaderSize + item.BaseOffset + offset : item.BaseOffset + offset;
                if (item.Method is 0 or 1 && length > 0 && start >= 0 && start + length <= file.Length)
                {
                    zeroed.Add((start, length));
                }
            }
        }
    }

    private sealed record IlocItem(uint Id, int Method, ushort DataReference, long BaseOffset, List<(long Offset, long Length)> Extents, List<long> Indexes);

    private sealed record Iloc(byte Version, int OffsetSize, int LengthSize, int BaseOffsetSize, int IndexSize, List<IlocItem> Items);

    private static Iloc ReadIloc(byte[] file, Box box)
    {
        var r = new Reader(file, box.Start + box.HeaderSize, box.End);
        var version = r.U8();
        r.Skip(3);
        var sizes = r.U8();
        var more = r.U8();
        var (offsetSize, lengthSize, baseSize) = (sizes >> 4, sizes & 0xF, more >> 4);
        var indexSize = version is 1 or 2 ? more & 0xF : 0;
        var itemCount = version < 2 ? r.U16() : r.U32();
        var items = new List<IlocItem>();
        for (long n = 0; n < itemCount; n++)
        {
            if (items.Count > CleanerLimits.MaxElements)
            {
                throw new CleanerLimitException("it has too many items");
            }

            var id = version < 2 ? r.U16() : r.U32();
            var method = version is 1 or 2 ? r.U16() & 0xF : 0;
            var reference = (ushort)r.U16();
            var baseOffset = r.Sized(baseSize);
            var extentCount = r.U16();
            var extents = new List<(long, long)>();
            var indexes = new List<long>();
            for (var e = 0; e < extentCount; e++)
            {
                indexes.Add(indexSize > 0 ? r.Sized(indexSize) : 0);
                extents.Add((r.Sized(offsetSize), r.Sized(lengthSize)));
            }

            items.Add(new IlocItem((uint)id, (int)method, reference, baseOffset, extents, indexes));
        }

        return new Iloc(version, offsetSize, lengthSize, baseSize, indexSize, items);
    }

    /// <summary>Writes the cleaned file, remembering which runs of bytes moved where, and which offsets to move after.</summary>
    private sealed class Writer(byte[] file, HashSet<uint> removedItems) : IDisposable
    {
        // Large boxes copied unchanged (the media data) are not written here but left as holes, filled from the file once, into
        // the output of the exact size: one copy of the file in memory, where a MemoryStream and its ToArray would hold two.
        private const int HoleSize = 16 * 1024;
        private readonly MemoryStream _out = new(Math.Min(file.Length, 1 << 20));
        private readonly List<long> _skippedThrough = []; // after each hole, how much all holes so far skipped
        private readonly List<(long At, long Length)> _profiles = [];
        private readonly List<(long At, long From, long Length)> _holes = [];
        private readonly List<Segment> _segments = [];
        private readonly List<Fixup> _fixups = [];
        private readonly List<(long BaseAt, List<long> OffsetAts, IlocItem Item, int BaseSize, int OffsetSize)> _ilocFixups = [];

        public void Write(Box box, int depth, bool topLevel, bool heif, bool inFragment = false)
        {
            if (Drop(box, topLevel, heif, inFragment))
            {
                return;
            }

            switch (box.Type)
            {
                case "mvhd" or "tkhd" or "mdhd":
                    WriteWithoutTimes(box);
                    return;
                case "colr" when box.Size >= box.HeaderSize + 4 + 128 && file.AsSpan((int)box.Start + box.HeaderSize, 4) is var colour && (colour.SequenceEqual("prof"u8) || colour.SequenceEqual("rICC"u8)):
                    // A colour profile is needed to show the colours, but it can name the device: it stays, its names blanked.
                    _profiles.Add((Position + box.HeaderSize + 4, box.Size - box.HeaderSize - 4));
                    Copy(box.Start, box.Size);
                    return;
                case "stco" or "co64":
                    WriteChunkOffsets(box);
                    return;
                case "saio" when !inFragment: // in moov its offsets are absolute; in a fragment, relative to it
                    WriteAuxOffsets(box);
                    return;
                case "tfhd":
                    WriteFragmentHeader(box);
                    return;
                case "iloc" when removedItems.Count > 0 || heif:
                    WriteIloc(box);
                    return;
                case "iref" when removedItems.Count > 0:
                    WriteIref(box);
                    return;
                case "ipma" when removedItems.Count > 0:
                    WriteIpma(box);
                    return;
            }

            if (box.Children is null)
            {
                Copy(box.Start, box.Size);
                return;
            }

            // A container: its header (with the size filled in afterwards), its FullBox header and counts, then its children.
            var start = Position;
            WriteHeader(box);
            var keptInfe = box.Type == "iinf" ? box.Children.Count(c => !Drop(c, false, heif, inFragment)) : 0;
            if (FullBoxes.Contains(box.Type))
            {
                Copy(box.Start + box.HeaderSize, 4);
            }

            if (box.Type == "iinf")
            {
                if (file[(int)box.Start + box.HeaderSize] == 0)
                {
                    WriteU16((ushort)keptInfe);
                }
                else
                {
                    WriteU32((uint)keptInfe);
                }
            }

            foreach (var child in box.Children)
            {
                Write(child, depth + 1, false, heif, inFragment || box.Type is "moof" or "traf");
            }

            PatchSize(start, box);
        }

        private bool Drop(Box box, bool topLevel, bool heif, bool inFragment)
        {
            switch (box.Type)
            {
                case "udta" or "free" or "skip" or "mfra" or "pdin" or "xml " or "bxml":
                    return true;
                case "meta":
                    return !(heif && topLevel); // QuickTime and iTunes metadata; a HEIF file's own meta holds its images
                case "uuid":
                    // Vendor boxes (XMP, camera data); inside fragments they may carry sample encryption, which playback needs.
                    return !inFragment || file.AsSpan((int)box.Start + box.HeaderSize - 16, 16).SequenceEqual(XmpUuid);
                case "infe" when removedItems.Count > 0:
                    var s = file.AsSpan((int)box.Start + box.HeaderSize);
                    var id = s[0] == 2 ? BinaryPrimitives.ReadUInt16BigEndian(s[4..]) : s[0] == 3 ? BinaryPrimitives.ReadUInt32BigEndian(s[4..]) : uint.MaxValue;
                    return removedItems.Contains(id);
                default:
                    return false;
            }
        }

        private void WriteWithoutTimes(Box box)
        {
            var start = Position;
            Copy(box.Start, box.Size);
            var version = file[(int)box.Start + box.HeaderSize];
            var times = _out.GetBuffer().AsSpan(Real(start) + box.HeaderSize + 4, version == 1 ? 16 : 8);
            times.Clear(); // creation and modification times (seconds since 1904)
        }

        private void WriteChunkOffsets(Box box)
        {
            var start = Position;
            Copy(box.Start, box.Size);
            var r = new Reader(file, box.Start + box.HeaderSize + 4, box.End);
            var entries = r.U32();
            var size = box.Type == "co64" ? 8 : 4;
            if (entries * size > box.End - r.Position)
            {
                throw new InvalidDataException("A chunk offset table is cut short.");
            }

            for (long e = 0; e < entries; e++)
            {
                _fixups.Add(new Fixup(start + (r.Position - box.Start), size, r.Sized(size)));
            }
        }

        private void WriteAuxOffsets(Box box)
        {
            var start = Position;
            Copy(box.Start, box.Size);
            var r = new Reader(file, box.Start + box.HeaderSize, box.End);
            var version = r.U8();
            var flags = (r.U8() << 16) | (r.U8() << 8) | r.U8();
            if ((flags & 1) != 0)
            {
                r.Skip(8);
            }

            var entries = r.U32();
            var size = version == 0 ? 4 : 8;
            for (long e = 0; e < entries; e++)
            {
                _fixups.Add(new Fixup(start + (r.Position - box.Start), size, r.Sized(size)));
            }
        }

        private void WriteFragmentHeader(Box box)
        {
            var start = Position;
            Copy(box.Start, box.Size);
            var r = new Reader(file, box.Start + box.HeaderSize, box.End);
            r.Skip(1);
            var flags = (r.U8() << 16) | (r.U8() << 8) | r.U8();
            r.Skip(4); // track id
            if ((flags & 1) != 0)
            {
                _fixups.Add(new Fixup(start + (r.Position - box.Start), 8, r.Sized(8))); // base data offset, absolute
            }
        }

        private void WriteIloc(Box box)
        {
            var iloc = ReadIloc(file, box);
            var kept = iloc.Items.Where(i => !removedItems.Contains(i.Id)).ToList();
            var start = Position;
            WriteHeader(box);
            Copy(box.Start + box.HeaderSize, 6); // version, flags, field sizes
            if (iloc.Version < 2)
            {
                WriteU16((ushort)kept.Count);
            }
            else
            {
                WriteU32((uint)kept.Count);
            }

            foreach (var item in kept)
            {
                if (iloc.Version < 2)
                {
                    WriteU16((ushort)item.Id);
                }
                else
                {
                    WriteU32(item.Id);
                }

                if (iloc.Version is 1 or 2)
                {
                    WriteU16((ushort)item.Method);
                }

                WriteU16(item.DataReference);
                var baseAt = Position;
                WriteSized(item.BaseOffset, iloc.BaseOffsetSize);
                WriteU16((ushort)item.Extents.Count);
                var offsetAts = new List<long>();
                for (var e = 0; e < item.Extents.Count; e++)
                {
                    if (iloc.IndexSize > 0)
                    {
                        WriteSized(item.Indexes[e], iloc.IndexSize);
                    }

                    offsetAts.Add(Position);
                    WriteSized(item.Extents[e].Offset, iloc.OffsetSize);
                    WriteSized(item.Extents[e].Length, iloc.LengthSize);
                }

                // File offsets (construction method 0, this file) move with the bytes; offsets into idat do not.
                if (item.Method == 0 && item.DataReference == 0 && item.Extents.Count > 0)
                {
                    _ilocFixups.Add((baseAt, offsetAts, item, iloc.BaseOffsetSize, iloc.OffsetSize));
                }
            }

            PatchSize(start, box);
        }

        private void WriteIref(Box box)
        {
            var start = Position;
            WriteHeader(box);
            Copy(box.Start + box.HeaderSize, 4);
            var wide = file[(int)box.Start + box.HeaderSize] != 0;
            foreach (var reference in box.Children ?? [])
            {
                var r = new Reader(file, reference.Start + reference.HeaderSize, reference.End);
                var from = wide ? r.U32() : r.U16();
                var count = r.U16();
                var to = new List<long>();
                for (var n = 0; n < count; n++)
                {
                    to.Add(wide ? r.U32() : r.U16());
                }

                to.RemoveAll(t => removedItems.Contains((uint)t));
                if (removedItems.Contains((uint)from) || to.Count == 0)
                {
                    continue;
                }

                var size = 8 + (wide ? 4 : 2) + 2 + (to.Count * (wide ? 4 : 2));
                WriteU32((uint)size);
                _out.Write(file, (int)reference.Start + 4, 4);
                WriteSized(from, wide ? 4 : 2);
                WriteU16((ushort)to.Count);
                to.ForEach(t => WriteSized(t, wide ? 4 : 2));
            }

            PatchSize(start, box);
        }

        private void WriteIpma(Box box)
        {
            var r = new Reader(file, box.Start + box.HeaderSize, box.End);
            var version = r.U8();
            var flags = (r.U8() << 16) | (r.U8() << 8) | r.U8();
            var entries = r.U32();
            var start = Position;
            WriteHeader(box);
            Copy(box.Start + box.HeaderSize, 4);
            var countAt = Position;
            WriteU32(0);
            uint kept = 0;
            for (long e = 0; e < entries; e++)
            {
                var from = r.Position;
                var id = version < 1 ? r.U16() : r.U32();
                var associations = r.U8();
                r.Skip(associations * ((flags & 1) != 0 ? 2 : 1));
                if (!removedItems.Contains((uint)id))
                {
                    Copy(from, r.Position - from);
                    kept++;
                }
            }

            BinaryPrimitives.WriteUInt32BigEndian(_out.GetBuffer().AsSpan(Real(countAt)), kept);
            PatchSize(start, box);
        }

        /// <summary>Box header with a size to be patched: the same width as the original (64-bit if it was).</summary>
        private void WriteHeader(Box box)
        {
            var large = box.HeaderSize - (box.Type == "uuid" ? 16 : 0) == 16;
            WriteU32(large ? 1u : 0u);
            _out.Write(file, (int)box.Start + 4, 4);
            if (large)
            {
                _out.Write(new byte[8]);
            }

            if (box.Type == "uuid")
            {
                _out.Write(file, (int)box.Start + box.HeaderSize - 16, 16);
            }
        }

        private void PatchSize(long start, Box box)
        {
            var size = Position - start;
            var buffer = _out.GetBuffer();
            var at = Real(start);
            if (BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(at)) == 1)
            {
                BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(at + 8), (ulong)size);
            }
            else if (size > uint.MaxValue)
            {
                throw new InvalidDataException($"The {box.Type} box grew past 4 GB.");
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(at), (uint)size);
            }
        }

        /// <summary>Where the writer is in the output (holes included).</summary>
        private long Position => _out.Position + (_skippedThrough.Count == 0 ? 0 : _skippedThrough[^1]);

        /// <summary>Where an output position is in <see cref="_out"/>: before it, the holes take no room there.</summary>
        private int Real(long position)
        {
            // Holes are added in order: count those that start before the position (a binary search: fragmented files have many).
            int low = 0, high = _holes.Count;
            while (low < high)
            {
                var mid = (low + high) / 2;
                (low, high) = _holes[mid].At < position ? (mid + 1, high) : (low, mid);
            }

            return (int)(position - (low == 0 ? 0 : _skippedThrough[low - 1]));
        }

        private void Copy(long from, long length)
        {
            _segments.Add(new Segment(from, length, Position));
            if (length >= HoleSize)
            {
                var skipped = Position - _out.Position;
                _holes.Add((Position, from, length));
                _skippedThrough.Add(skipped + length);
                return;
            }

            _out.Write(file, (int)from, (int)length);
        }

        public byte[] Finish(List<(long Start, long Length)> zeroed)
        {
            var buffer = GC.AllocateUninitializedArray<byte>((int)Position);
            var written = _out.GetBuffer();
            long real = 0, at = 0;
            foreach (var (holeAt, from, length) in _holes)
            {
                written.AsSpan((int)real, (int)(holeAt - at)).CopyTo(buffer.AsSpan((int)at));
                real += holeAt - at;
                file.AsSpan((int)from, (int)length).CopyTo(buffer.AsSpan((int)holeAt));
                at = holeAt + length;
            }

            written.AsSpan((int)real, (int)(_out.Length - real)).CopyTo(buffer.AsSpan((int)at));
            foreach (var fixup in _fixups)
            {
                var moved = Move(fixup.Original);
                if (fixup.Size == 4 && moved > uint.MaxValue)
                {
                    throw new InvalidDataException("An offset no longer fits.");
                }

                WriteSized(buffer.AsSpan((int)fixup.At, fixup.Size), moved, fixup.Size);
            }

            foreach (var (baseAt, offsetAts, item, baseSize, offsetSize) in _ilocFixups)
            {
                // Every extent of an item moves by the same distance (its bytes were copied as one run): the base offset
                // takes it where there is one, else each extent offset.
                var distances = item.Extents.Select(e => Move(item.BaseOffset + e.Offset) - (item.BaseOffset + e.Offset)).Distinct().ToList();
                if (distances.Count > 1)
                {
                    throw new InvalidDataException("An item's bytes were split apart.");
                }

                if (baseSize > 0)
                {
                    WriteSized(buffer.AsSpan((int)baseAt, baseSize), item.BaseOffset + distances[0], baseSize);
                }
                else if (offsetSize > 0)
                {
                    for (var e = 0; e < item.Extents.Count; e++)
                    {
                        WriteSized(buffer.AsSpan((int)offsetAts[e], offsetSize), item.Extents[e].Offset + distances[0], offsetSize);
                    }
                }
                else if (distances[0] != 0)
                {
                    throw new InvalidDataException("An item's bytes moved but it has no offset to say so.");
                }
            }

            foreach (var (start, length) in zeroed)
            {
                var moved = Move(start);
                buffer.AsSpan((int)moved, (int)length).Clear();
            }

            foreach (var (profileAt, length) in _profiles)
            {
                ColourProfile.BlankNames(buffer.AsSpan((int)profileAt, (int)length));
            }

            return buffer;
        }

        public void Dispose() => _out.Dispose();

        /// <summary>Where the byte that was at <paramref name="original"/> is now; an offset into a dropped box is refused.</summary>
        private long Move(long original)
        {
            foreach (var segment in _segments)
            {
                if (original >= segment.From && original < segment.From + segment.Length)
                {
                    return segment.To + (original - segment.From);
                }
            }

            throw new InvalidDataException("An offset points into a box that was removed.");
        }

        private void WriteU16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(b, value);
            _out.Write(b);
        }

        private void WriteU32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
            _out.Write(b);
        }

        private void WriteSized(long value, int size)
        {
            Span<byte> b = stackalloc byte[8];
            WriteSized(b, value, size);
            _out.Write(b[..size]);
        }

        private static void WriteSized(Span<byte> target, long value, int size)
        {
            switch (size)
            {
                case 0:
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt16BigEndian(target, checked((ushort)value));
                    break;
                case 4:
                    BinaryPrimitives.WriteUInt32BigEndian(target, checked((uint)value));
                    break;
                case 8:
                    BinaryPrimitives.WriteUInt64BigEndian(target, (ulong)value);
                    break;
                default:
                    throw new InvalidDataException("An unknown field size.");
            }
        }
    }

    /// <summary>Big-endian fields of a box, never past its end.</summary>
    private sealed class Reader(byte[] file, long position, long end)
    {
        public long Position { get; private set; } = position;

        public byte U8() => Take(1)[0];

        public long U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public long U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

        public long Sized(int size) => size switch
        {
            0 => 0,
            2 => U16(),
            4 => U32(),
            8 => (long)BinaryPrimitives.ReadUInt64BigEndian(Take(8)) is var v and >= 0 ? v : throw new InvalidDataException("An offset is too large."),
            _ => throw new InvalidDataException("An unknown field size."),
        };

        public void Skip(long count) => Take(count);

        private ReadOnlySpan<byte> Take(long count)
        {
            if (count < 0 || Position + count > end)
            {
                throw new InvalidDataException("A box is cut short.");
            }

            var span = file.AsSpan((int)Position, (int)count);
            Position += count;
            return span;
        }
    }
}

/// <summary>
/// Blanks, in place, what an ICC colour profile says about where it comes from: the device's maker, model and attributes, the
/// profile's date, creator and id in its header, and the texts of its description, device, copyright and metadata tags. The
/// curves and matrices that say how to show the colours stay, and so does every size and offset: the profile stays valid.
/// </summary>
internal static class ColourProfile
{
    private static readonly HashSet<uint> Named = new(new[] { "desc", "dmnd", "dmdd", "cprt", "vued", "meta", "targ", "ciis" }.Select(t => BinaryPrimitives.ReadUInt32BigEndian(Encoding.ASCII.GetBytes(t))));

    public static void BlankNames(Span<byte> profile)
    {
        if (profile.Length < 132 || !profile.Slice(36, 4).SequenceEqual("acsp"u8))
        {
            return;
        }

        profile.Slice(24, 12).Clear(); // the date it was made
        profile.Slice(48, 16).Clear(); // device manufacturer, model, attributes
        profile.Slice(80, 20).Clear(); // creator, profile id (all zero: "not computed")
        var tags = BinaryPrimitives.ReadUInt32BigEndian(profile[128..]);
        for (long i = 0; i < tags && 132 + (i * 12) + 12 <= profile.Length; i++)
        {
            var entry = profile.Slice((int)(132 + (i * 12)), 12);
            var offset = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            var size = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            if (Named.Contains(BinaryPrimitives.ReadUInt32BigEndian(entry)) && size > 8 && offset + (long)size <= profile.Length)
            {
                // After the type and its reserved bytes, zeros: an empty text, description or list, as each type reads them.
                profile.Slice((int)offset + 8, (int)size - 8).Clear();
            }
        }
    }
}
