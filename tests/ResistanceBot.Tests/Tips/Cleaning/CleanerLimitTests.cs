using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips.Cleaning;

/// <summary>
/// Hostile files reach each of <see cref="CleanerLimits"/> and are refused as "past the limits", quickly and in bounded
/// memory, never thrown past the cleaner: too many boxes, boxes nested too deep, zip bombs, too many parts, XML nested too deep,
/// a PDF stream that inflates a thousandfold, documents embedded in documents too deep.
/// </summary>
[Collection(CleanersAlone.Name)]
public sealed class CleanerLimitTests
{
    private static byte[] Box(string type, params byte[][] children)
    {
        var body = children.SelectMany(c => c).ToArray();
        var box = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type, box.AsSpan(4));
        body.CopyTo(box, 8);
        return box;
    }

    private static readonly byte[] Ftyp = Box("ftyp", "isom"u8.ToArray(), new byte[4], "isommp41"u8.ToArray());

    private static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    private static readonly byte[] ContentTypes = Encoding.UTF8.GetBytes(
        """<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>""");

    private static byte[] Docx(byte[] document, params (string Name, byte[] Data)[] more) =>
        Zip([("[Content_Types].xml", ContentTypes), ("word/document.xml", document), .. more]);

    private static byte[] Paragraph(string text) => Encoding.UTF8.GetBytes(
        $"""<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>""");

    private static void AssertPastLimits(byte[] file, MediaKind kind)
    {
        var result = MediaCleaner.Clean(file);
        Assert.Equal(kind, result.Kind);
        Assert.Null(result.Content);
        Assert.True(result.PastLimits, $"refused, but not for a limit: {result.Refusal}");
    }

    [Fact]
    public void A_video_of_more_boxes_than_the_limit_is_refused()
    {
        var free = Box("free");
        var many = Enumerable.Repeat(free, CleanerLimits.MaxElements + 1).ToArray();
        AssertPastLimits([.. Ftyp, .. Box("moov", many), .. Box("mdat", new byte[16])], MediaKind.Mp4);
    }

    [Fact]
    public void A_video_whose_boxes_nest_deeper_than_the_limit_is_refused()
    {
        var nested = Box("stbl");
        for (var i = 0; i <= CleanerLimits.MaxDepth; i++)
        {
            nested = Box(i % 2 == 0 ? "trak" : "edts", nested);
        }

        AssertPastLimits([.. Ftyp, .. Box("moov", nested), .. Box("mdat", new byte[16])], MediaKind.Mp4);
    }

    [Fact]
    public void A_zip_bomb_in_a_document_is_refused_before_it_is_inflated()
    {
        // 100 MB of one letter take about 100 KB in the ZIP: a thousandfold, past the ratio any real document has.
        var bomb = Paragraph(new string('a', 100 * 1024 * 1024));
        var file = Docx(bomb);
        Assert.True(file.Length < 1024 * 1024);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        AssertPastLimits(file, MediaKind.Ooxml);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 20 * 1024 * 1024, "the bomb was inflated");
    }

    [Fact]
    public void Parts_that_inflate_past_the_budget_in_all_are_refused_however_their_headers_add_up()
    {
        var zipped = Zip(("part", new Random(4096).GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 4096)));
        using var zip = new ZipArchive(new MemoryStream(zipped), ZipArchiveMode.Read);
        var budget = 4095L;
        Assert.Throws<CleanerLimitException>(() => CleanerLimits.Inflate(zip.Entries[0], ref budget));
        budget = 4096L;
        Assert.Equal(4096, CleanerLimits.Inflate(zip.Entries[0], ref budget).Length);
        Assert.Equal(0, budget);
    }

    [Fact]
    public void A_document_of_more_parts_than_the_limit_is_refused()
    {
        var parts = Enumerable.Range(0, CleanerLimits.MaxZipEntries).Select(i => ($"word/media/p{i}.bin", Array.Empty<byte>())).ToArray();
        AssertPastLimits(Docx(Paragraph("x"), parts), MediaKind.Ooxml);
    }

    [Fact]
    public void A_document_whose_XML_nests_deeper_than_the_limit_is_refused()
    {
        var depth = CleanerLimits.MaxXmlDepth + 10;
        var xml = new StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>""");
        xml.Insert(xml.Length, "<w:tbl><w:tr><w:tc>", depth / 3).Append("<w:p/>").Insert(xml.Length, "</w:tc></w:tr></w:tbl>", depth / 3).Append("</w:body></w:document>");
        AssertPastLimits(Docx(Encoding.UTF8.GetBytes(xml.ToString())), MediaKind.Ooxml);

        // Just under it, the same document is cleaned.
        var shallow = new StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>""");
        shallow.Insert(shallow.Length, "<w:tbl><w:tr><w:tc>", 100).Append("<w:p/>").Insert(shallow.Length, "</w:tc></w:tr></w:tbl>", 100).Append("</w:body></w:document>");
        Assert.True(MediaCleaner.Clean(Docx(Encoding.UTF8.GetBytes(shallow.ToString()))).Cleaned);
    }

    [Fact]
    public void Documents_embedded_in_documents_deeper_than_the_limit_are_refused()
    {
        byte[] Nest(int levels)
        {
            var document = Docx(Paragraph("innermost"));
            for (var i = 0; i < levels; i++)
            {
                document = Docx(Paragraph($"level {i}"), ("word/embeddings/inner.docx", document));
            }

            return document;
        }

        Assert.True(MediaCleaner.Clean(Nest(CleanerLimits.MaxDocumentNesting)).Cleaned);
        AssertPastLimits(Nest(CleanerLimits.MaxDocumentNesting + 1), MediaKind.Ooxml);
    }

    [Fact]
    public void A_PDF_stream_that_inflates_a_thousandfold_is_refused_before_PDFsharp_reads_it()
    {
        using var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[20 * 1024 * 1024]);
        }

        var stream = deflated.ToArray();
        var pdf = new MemoryStream();
        pdf.Write(Encoding.ASCII.GetBytes($"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Length {stream.Length} /Filter /FlateDecode >>\nstream\n"));
        pdf.Write(stream);
        pdf.Write(Encoding.ASCII.GetBytes("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"));
        AssertPastLimits(pdf.ToArray(), MediaKind.Pdf);
    }

    [Fact]
    public async Task A_PDF_whose_last_hex_string_never_ends_is_kept_not_cleaned_instead_of_hanging_PDFsharp()
    {
        // PDFsharp 6.2.4 reads "<" to the end of the file and on for ever when no ">" follows (found by CleanerFuzzTests).
        var pdf = DirtyFiles.Bytes("report.pdf");
        var id = Encoding.Latin1.GetString(pdf).LastIndexOf("/ID [ <", StringComparison.Ordinal) + 10;
        var hostile = pdf[..id].Concat(Encoding.ASCII.GetBytes("\nstartxref\n0\n%%EOF\n")).ToArray();
        var result = await Task.Run(() => MediaCleaner.Clean(hostile)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((MediaKind.Pdf, false), (result.Kind, result.Cleaned));
        Assert.Equal(hostile, result.Content);
    }
}
