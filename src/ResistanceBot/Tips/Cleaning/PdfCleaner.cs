using System.IO.Compression;
using System.Security.Cryptography;
using PdfSharp.Pdf;
using PdfSharp.Pdf.Filters;
using PdfSharp.Pdf.IO;

namespace ResistanceBot.Tips;

/// <summary>
/// Cleans PDF files with PDFsharp: the Info dictionary (author, creator, producer, dates), every XMP metadata stream, the
/// document ids, page-piece data, the names and dates on annotations, attached files, and the metadata of embedded JPEG
/// pictures go; the file is written anew, so earlier revisions (incremental updates keep them) are gone too. An encrypted PDF,
/// or one PDFsharp cannot read, is kept as sent and marked "not cleaned": rewriting it blind could lose what it shows.
/// </summary>
internal static class PdfCleaner
{
    // Per-object entries that record who made or changed something, and when.
    private static readonly string[] ObjectMetadata = ["/Metadata", "/PieceInfo", "/LastModified"];

    // On annotations (comments, highlights, stamps): the author's name, dates, and the unique name some editors derive from them.
    private static readonly string[] AnnotationPeople = ["/T", "/M", "/CreationDate", "/NM", "/RC", "/Subj"];

    public static CleanResult Clean(byte[] file)
    {
        PdfDocument document;
        try
        {
            // PDFsharp inflates a file's object streams whole as it opens it: a bomb must be caught before that.
            PdfGuard.Check(file);
            document = PdfReader.Open(new MemoryStream(file, writable: false), PdfDocumentOpenMode.Modify, Refuse);
        }
        catch (PdfUnsupportedException e)
        {
            return CleanResult.AsSent(MediaKind.Pdf, file, ".pdf", e.Message);
        }
        catch (Exception e) when (e is not (CleanerLimitException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            return CleanResult.AsSent(MediaKind.Pdf, file, ".pdf", "the PDF could not be read to clean it");
        }

        using (document)
        {
            if (document.SecuritySettings.IsEncrypted)
            {
                return CleanResult.AsSent(MediaKind.Pdf, file, ".pdf", "the PDF is encrypted");
            }

            if (document.Internals.GetAllObjects().Length > CleanerLimits.MaxElements)
            {
                throw new CleanerLimitException("it has too many objects");
            }

            // PDFsharp, opening to modify, dated the file now and kept its first id: both go with the rest.
            document.Info.Elements.Clear();
            document.Internals.FirstDocumentID = RandomId();
            document.Internals.SecondDocumentID = document.Internals.FirstDocumentID;
            var catalog = document.Internals.Catalog;
            catalog.Elements.Remove("/Metadata");
            if (catalog.Elements.GetDictionary("/Names") is { } names)
            {
                names.Elements.Remove("/EmbeddedFiles");
            }

            catalog.Elements.Remove("/AF");
            foreach (var item in document.Internals.GetAllObjects())
            {
                if (item is PdfDictionary dictionary)
                {
                    Clean(dictionary);
                }
            }

            using var output = new MemoryStream(file.Length);
            document.Save(output, closeStream: false);
            return CleanResult.Done(MediaKind.Pdf, output.ToArray(), ".pdf");
        }
    }

    private static void Clean(PdfDictionary dictionary)
    {
        foreach (var key in ObjectMetadata)
        {
            dictionary.Elements.Remove(key);
        }

        var subtype = dictionary.Elements.GetName("/Subtype");
        if (dictionary.Elements.ContainsKey("/Rect") && (dictionary.Elements.GetName("/Type") == "/Annot" || subtype.Length > 0))
        {
            foreach (var key in AnnotationPeople)
            {
                dictionary.Elements.Remove(key);
            }

            if (subtype == "/FileAttachment")
            {
                dictionary.Elements.Remove("/FS");
            }
        }

        if (subtype == "/Image" && dictionary.Stream is { } stream && IsOnlyDct(dictionary.Elements["/Filter"]))
        {
            var cleaned = ImageCleaners.CleanJpeg(stream.Value);
            if (cleaned.Content is null)
            {
                throw new InvalidDataException("A picture in the PDF is damaged.");
            }

            stream.Value = cleaned.Content;
        }
    }

    private static bool IsOnlyDct(PdfItem? filter) => filter switch
    {
        PdfName name => name.Value is "/DCTDecode" or "/DCT",
        PdfArray { Elements.Count: 1 } array => IsOnlyDct(array.Elements[0]),
        _ => false,
    };

    private static string RandomId()
    {
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        return string.Create(16, id.ToArray(), static (chars, bytes) =>
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                chars[i] = (char)bytes[i];
            }
        });
    }

    // An encrypted PDF is not opened with a guessed password: it stays as sent.
    private static void Refuse(PdfPasswordProviderArgs args) => args.Abort = true;
}

/// <summary>
/// Bounds the work PDFsharp does opening a hostile PDF. It inflates object streams whole (Flate and LZW, after any ASCII
/// layers): every stream in the file is inflated here first, as PDFsharp would, against <see cref="CleanerLimits"/>; a file
/// that compresses with LZW anywhere is not opened at all (its ratio cannot be bounded cheaply), and is kept "not cleaned".
/// </summary>
internal static class PdfGuard
{
    public static void Check(byte[] file)
    {
        var budget = CleanerLimits.MaxInflatedBytes;
        var streams = 0;
        var buffer = new byte[81920];
        var at = 0;
        while ((at = IndexOf(file, "stream"u8, at)) >= 0)
        {
            var start = at + 6;
            at = start;
            if (start - 9 >= 0 && file.AsSpan(start - 9, 3).SequenceEqual("end"u8))
            {
                continue;
            }

            if (++streams > CleanerLimits.MaxElements)
            {
                throw new CleanerLimitException("it has too many streams");
            }

            var end = IndexOf(file, "endstream"u8, start);
            var data = file.AsSpan(start, (end < 0 ? file.Length : end) - start);
            data = data.StartsWith("\r\n"u8) ? data[2..] : data.StartsWith("\n"u8) || data.StartsWith("\r"u8) ? data[1..] : data;
            var lexed = new HexTail();
            Inflate(data, buffer, ref budget, depth: 0, lexed);
            if (lexed.Open && IsObjectStream(file, start))
            {
                throw new PdfUnsupportedException("the PDF is damaged");
            }
        }

        if (ContainsLzw(file))
        {
            throw new PdfUnsupportedException("the PDF uses LZW compression");
        }

        // PDFsharp 6.2.4 reads a hex string that never ends ("<" with no ">" after it) for ever: such a file is not opened.
        var tail = file.AsSpan(file.AsSpan().LastIndexOf((byte)'>') + 1);
        var lastEnd = tail.LastIndexOf("endstream"u8);
        if ((lastEnd < 0 ? tail : tail[(lastEnd + 9)..]).Contains((byte)'<'))
        {
            throw new PdfUnsupportedException("the PDF is damaged");
        }
    }

    /// <summary>Whether a "&lt;" comes after the last "&gt;" of a stream's inflated bytes (read in chunks).</summary>
    private sealed class HexTail
    {
        public bool Open { get; private set; }

        public void See(ReadOnlySpan<byte> chunk)
        {
            var lastGt = chunk.LastIndexOf((byte)'>');
            Open = chunk[(lastGt + 1)..].Contains((byte)'<') || (lastGt < 0 && Open);
        }
    }

    /// <summary>Whether the stream starting at <paramref name="start"/> is an object stream, whose objects PDFsharp lexes.</summary>
    private static bool IsObjectStream(byte[] file, int start)
    {
        var from = Math.Max(0, start - 4096);
        var dictionary = file.AsSpan(from, start - from);
        var obj = dictionary.LastIndexOf(" obj"u8);
        return (obj < 0 ? dictionary : dictionary[obj..]).IndexOf("/ObjStm"u8) >= 0;
    }

    // As PDFsharp's FlateDecode does: the two header bytes skipped, the rest raw deflate. ASCII85 and hex layers, which only
    // shrink, are decoded first (at most three deep).
    private static void Inflate(ReadOnlySpan<byte> data, byte[] buffer, ref long budget, int depth, HexTail lexed)
    {
        if (depth < 3 && LooksAscii(data, out var ascii85))
        {
            byte[] decoded;
            try
            {
                decoded = ascii85 ? Filtering.Ascii85Decode.Decode(data.ToArray()) : Filtering.AsciiHexDecode.Decode(data.ToArray());
            }
            catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
            {
                decoded = [];
            }

            Inflate(decoded, buffer, ref budget, depth + 1, lexed);
        }

        if (data.Length <= 2)
        {
            return;
        }

        long inflated = 0;
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(data[2..].ToArray(), writable: false), CompressionMode.Decompress);
            int read;
            while ((read = inflater.Read(buffer)) > 0)
            {
                inflated += read;
                budget -= read;
                if (budget < 0 || (inflated > 1024 * 1024 && inflated / data.Length > CleanerLimits.MaxInflationRatio))
                {
                    throw new CleanerLimitException("it inflates past the limits");
                }

                lexed.See(buffer.AsSpan(0, read));
                if (ContainsLzw(buffer.AsSpan(0, read)))
                {
                    throw new PdfUnsupportedException("the PDF uses LZW compression");
                }
            }
        }
        catch (InvalidDataException)
        {
            // Not deflate data (a picture, plain text): PDFsharp would not inflate it either.
        }
    }

    private static bool LooksAscii(ReadOnlySpan<byte> data, out bool ascii85)
    {
        ascii85 = false;
        var hex = true;
        var a85 = true;
        var seen = 0;
        foreach (var b in data)
        {
            if (b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or (byte)'\f' or 0)
            {
                continue;
            }

            seen++;
            hex &= b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F' or (byte)'>';
            a85 &= b is >= (byte)'!' and <= (byte)'u' or (byte)'z' or (byte)'~';
            if (!hex && !a85)
            {
                return false;
            }
        }

        ascii85 = !hex;
        return seen > 0;
    }

    // The name /LZWDecode or /LZW, any of its letters perhaps written as a #xx escape (PDF names allow it).
    private static bool ContainsLzw(ReadOnlySpan<byte> text)
    {
        var from = 0;
        int slash;
        while ((slash = text[from..].IndexOf((byte)'/')) >= 0)
        {
            var j = from + slash + 1;
            from = j;
            if (Letter(text, ref j, 'L') && Letter(text, ref j, 'Z') && Letter(text, ref j, 'W')
                && (j == text.Length || Letter(text, ref j, 'D') || IsDelimiter(text[j])))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDelimiter(byte b) => b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t' or (byte)'\f' or 0
        or (byte)'/' or (byte)'[' or (byte)']' or (byte)'<' or (byte)'>' or (byte)'(' or (byte)')' or (byte)'{' or (byte)'}' or (byte)'%';

    private static bool Letter(ReadOnlySpan<byte> text, ref int at, char letter)
    {
        if (at < text.Length && text[at] == letter)
        {
            at++;
            return true;
        }

        if (at + 2 < text.Length && text[at] == '#' && Hex(text[at + 1]) * 16 + Hex(text[at + 2]) == letter)
        {
            at += 3;
            return true;
        }

        return false;
    }

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -256,
    };

    private static int IndexOf(byte[] file, ReadOnlySpan<byte> what, int from)
    {
        var found = file.AsSpan(from).IndexOf(what);
        return found < 0 ? -1 : from + found;
    }
}

/// <summary>A PDF the bot does not rewrite (its structures cannot be bounded cheaply): it is kept as sent, "not cleaned".</summary>
internal sealed class PdfUnsupportedException(string reason) : Exception(reason);
