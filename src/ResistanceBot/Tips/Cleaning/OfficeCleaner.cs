using System.IO.Compression;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace ResistanceBot.Tips;

/// <summary>
/// Cleans Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) files, which are ZIP archives of XML parts. Core,
/// app and custom properties and meta.xml are emptied; authors, initials and dates leave comments and tracked changes (the
/// changes themselves stay, for editors to judge); revision ids (rsid), template paths, document variables, printer settings
/// and thumbnails go; embedded pictures, media and documents are cleaned by their own cleaners. The archive is written anew, every entry
/// dated 1980-01-01. A ZIP that inflates past the limits (a zip bomb), has too many entries, or XML with a DTD is refused.
/// </summary>
internal static class OfficeCleaner
{
    // Compound files: OLE objects, older Office documents, with their own summary of author and dates.
    private static readonly byte[] OleSignature = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    internal static readonly DateTimeOffset ZipEpoch = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly XNamespace W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    private static readonly XNamespace Relationships = "http://schemas.openxmlformats.org/package/2006/relationships";
    private static readonly XNamespace ContentTypes = "http://schemas.openxmlformats.org/package/2006/content-types";
    private static readonly XNamespace Dc = "http://purl.org/dc/elements/1.1/";
    private static readonly XNamespace Manifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";
    private static readonly XNamespace Office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    private const string CoreProperties = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties";
    private const string ExtendedProperties = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties";
    private const string CustomProperties = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties";

    // Attributes that name or date a person, wherever they are: comments, tracked changes, people and author lists.
    private static readonly HashSet<string> PersonAttributes = new(StringComparer.Ordinal) { "author", "initials", "date", "dateUtc", "userId", "providerId", "displayName", "name" };

    // Elements whose person attributes are blanked (a "name" elsewhere is a style's or a sheet's, and stays).
    private static readonly HashSet<string> PersonElements = new(StringComparer.Ordinal)
    {
        "ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange", "tblGridChange",
        "numberingChange", "cellIns", "cellDel", "cellMerge", "customXmlInsRangeStart", "customXmlDelRangeStart", "customXmlMoveFromRangeStart",
        "customXmlMoveToRangeStart", "moveFromRangeStart", "moveToRangeStart", "comment", "person", "presenceInfo", "cmAuthor", "author", "threadedComment",
    };

    public static MediaKind Detect(ReadOnlySpan<byte> content)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content.ToArray(), writable: false), ZipArchiveMode.Read);
            if (zip.GetEntry("mimetype") is { Length: < 200 } mimetype)
            {
                using var reader = new StreamReader(mimetype.Open(), Encoding.ASCII);
                if (reader.ReadToEnd().StartsWith("application/vnd.oasis.opendocument.", StringComparison.Ordinal))
                {
                    return MediaKind.Odf;
                }
            }

            return zip.GetEntry("[Content_Types].xml") is not null && zip.Entries.Any(e => e.FullName.StartsWith("word/", StringComparison.Ordinal)
                || e.FullName.StartsWith("xl/", StringComparison.Ordinal) || e.FullName.StartsWith("ppt/", StringComparison.Ordinal))
                ? MediaKind.Ooxml
                : MediaKind.Archive;
        }
        catch (InvalidDataException)
        {
            return MediaKind.Archive;
        }
    }

    public static CleanResult Clean(byte[] file, MediaKind kind) => Clean(file, kind, depth: 0);

    /// <summary>Cleans a document; <paramref name="depth"/> counts the documents it is embedded in.</summary>
    public static CleanResult Clean(byte[] file, MediaKind kind, int depth)
    {
        if (depth > CleanerLimits.MaxDocumentNesting)
        {
            throw new CleanerLimitException("documents are embedded too deep");
        }

        using var input = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        if (input.Entries.Count > CleanerLimits.MaxZipEntries)
        {
            throw new CleanerLimitException("it has too many parts");
        }

        var odf = kind == MediaKind.Odf;
        var dropped = input.Entries.Select(e => e.FullName).Where(name => odf ? DropOdf(name) : DropOoxml(name)).ToHashSet(StringComparer.Ordinal);
        var budget = CleanerLimits.MaxInflatedBytes;
        if (!odf && input.GetEntry("_rels/.rels") is { } packageRels)
        {
            // The package's thumbnail is wherever its relationship points (docProps/thumbnail.jpeg from Office, /media/... from others).
            var rels = Load(CleanerLimits.Inflate(packageRels, ref budget));
            dropped.UnionWith(rels.Root?.Elements(Relationships + "Relationship")
                .Where(r => ((string?)r.Attribute("Type") ?? "").EndsWith("/metadata/thumbnail", StringComparison.Ordinal) && (string?)r.Attribute("TargetMode") != "External")
                .Select(r => Resolve("", (string?)r.Attribute("Target") ?? "")) ?? []);
        }

        var cleaning = new Cleaning(dropped, depth);
        // Written twice: once only to learn the size, then into an array of exactly that size, which is the result. The parts are
        // cleaned twice (the time is small beside the deflating), but a 5 MB document never sits in memory as two copies.
        var counter = new CountingStream();
        if (!Write(input, odf, cleaning, budget, counter))
        {
            return CleanResult.Refused(kind, "a picture or object in the document is damaged");
        }

        var result = GC.AllocateUninitializedArray<byte>(checked((int)counter.Length));
        using (var exact = new MemoryStream(result, writable: true))
        {
            if (!Write(input, odf, cleaning, budget, exact) || exact.Position != result.Length)
            {
                throw new InvalidOperationException("the document was written differently the second time");
            }
        }

        var extension = Extension(input, odf);
        return cleaning.Uncleanable is { } why
            ? CleanResult.AsSent(kind, result, extension, why)
            : CleanResult.Done(kind, result, extension);
    }

    /// <summary>The cleaned archive into <paramref name="output"/>; false when a picture or object in it is damaged.</summary>
    private static bool Write(ZipArchive input, bool odf, Cleaning cleaning, long budget, Stream output)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        // ODF wants "mimetype" first and stored; the order of the others is kept as it was.
        foreach (var entry in input.Entries.OrderBy(e => e.FullName == "mimetype" ? 0 : 1))
        {
            if (cleaning.Dropped.Contains(entry.FullName) || entry.FullName.EndsWith('/'))
            {
                continue;
            }

            var data = CleanerLimits.Inflate(entry, ref budget);
            var cleaned = odf ? CleanOdfPart(entry.FullName, data, cleaning) : CleanOoxmlPart(entry.FullName, data, cleaning);
            if (cleaned is null)
            {
                return false;
            }

            // Pictures, sound and video are compressed already: deflating them again costs time and saves next to nothing.
            var level = entry.FullName == "mimetype" || MediaCleaner.IsCompressed(cleaned) ? CompressionLevel.NoCompression : CompressionLevel.Optimal;
            var target = zip.CreateEntry(entry.FullName, level);
            target.LastWriteTime = ZipEpoch;
            using var stream = target.Open();
            stream.Write(cleaned);
        }

        return true;
    }

    /// <summary>A seekable stream that keeps nothing: it only learns how long what is written to it would be.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => true;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get; set; }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Position += buffer.Length;
            _length = Math.Max(_length, Position);
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => _length + offset,
        };

        public override void SetLength(long value) => _length = value;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>What one document's cleaning knows across its parts.</summary>
    private sealed class Cleaning(HashSet<string> dropped, int depth)
    {
        public HashSet<string> Dropped { get; } = dropped;

        public int Depth { get; } = depth;

        /// <summary>Why some embedded object stays as it was (the rest of the document is cleaned): the document is "not cleaned".</summary>
        public string? Uncleanable { get; set; }
    }

    private static string Extension(ZipArchive zip, bool odf)
    {
        if (odf)
        {
            using var reader = new StreamReader(zip.GetEntry("mimetype")!.Open(), Encoding.ASCII);
            var type = reader.ReadToEnd();
            return type.EndsWith("spreadsheet", StringComparison.Ordinal) ? ".ods" : type.EndsWith("presentation", StringComparison.Ordinal) ? ".odp" : ".odt";
        }

        return zip.Entries.Any(e => e.FullName.StartsWith("xl/", StringComparison.Ordinal)) ? ".xlsx"
            : zip.Entries.Any(e => e.FullName.StartsWith("ppt/", StringComparison.Ordinal)) ? ".pptx" : ".docx";
    }

    private static bool DropOoxml(string name) =>
        name == "docProps/custom.xml" || name.StartsWith("docProps/thumbnail", StringComparison.Ordinal) || name.Contains("/printerSettings/", StringComparison.Ordinal);

    private static bool DropOdf(string name) => name.StartsWith("Thumbnails/", StringComparison.Ordinal);

    private static byte[]? CleanOoxmlPart(string name, byte[] data, Cleaning cleaning)
    {
        if (!IsXml(name))
        {
            // Pictures, media and embedded objects, wherever a producer put them.
            return CleanEmbedded(data, cleaning);
        }

        // Core properties sit where the package's relationships say: docProps/core.xml from Office, a .psmdcp part from
        // System.IO.Packaging. Each properties part is known by its root element, wherever it is.
        var xml = Load(data);
        switch (xml.Root?.Name.NamespaceName)
        {
            case CoreProperties:
                return Encoding.UTF8.GetBytes("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>""");
            case ExtendedProperties:
                return Encoding.UTF8.GetBytes("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>""");
            case CustomProperties:
                return Encoding.UTF8.GetBytes("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>""");
        }

        if (name == "[Content_Types].xml")
        {
            xml.Root?.Elements(ContentTypes + "Override").Where(o => cleaning.Dropped.Contains(((string?)o.Attribute("PartName") ?? "").TrimStart('/'))).Remove();
        }
        else if (name.EndsWith(".rels", StringComparison.Ordinal))
        {
            var folder = RelationshipsFolder(name);
            xml.Root?.Elements(Relationships + "Relationship").Where(r => (string?)r.Attribute("TargetMode") != "External"
                && cleaning.Dropped.Contains(Resolve(folder, (string?)r.Attribute("Target") ?? ""))).Remove();
        }
        else
        {
            // Revision ids, template paths, document variables and absolute paths name where a document was made.
            xml.Descendants().Where(e => e.Name == W + "rsids" || e.Name == W + "attachedTemplate" || e.Name == W + "docVars" || e.Name.LocalName == "absPath").Remove();
            foreach (var element in xml.Descendants())
            {
                element.Attributes().Where(a => a.Name.Namespace == W && a.Name.LocalName.StartsWith("rsid", StringComparison.Ordinal)).Remove();
                BlankPeople(element);
            }

            // Excel's comment authors are text: <authors><author>Name</author></authors>.
            foreach (var author in xml.Descendants().Where(e => e.Name.LocalName == "author" && e.Parent?.Name.LocalName == "authors"))
            {
                author.Value = "";
            }
        }

        return Save(xml);
    }

    private static byte[]? CleanOdfPart(string name, byte[] data, Cleaning cleaning)
    {
        if (name != "mimetype" && !IsXml(name))
        {
            return CleanEmbedded(data, cleaning);
        }

        // An embedded object ("Object 1/") is a document of its own, with its own meta.xml and settings.xml.
        switch (name[(name.LastIndexOf('/') + 1)..])
        {
            case "meta.xml":
                return Encoding.UTF8.GetBytes("""<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:meta/></office:document-meta>""");
            case "settings.xml":
                // Printer names and setups, window positions, the last data source: nothing a reader needs.
                return Encoding.UTF8.GetBytes("""<?xml version="1.0" encoding="UTF-8"?><office:document-settings xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"/>""");
            case "mimetype":
                return data;
        }

        var xml = Load(data);
        if (name == "META-INF/manifest.xml")
        {
            xml.Root?.Elements(Manifest + "file-entry").Where(e => cleaning.Dropped.Contains((string?)e.Attribute(Manifest + "full-path") ?? "")).Remove();
            return Save(xml);
        }

        // Comments and tracked changes: who and when, in <dc:creator> and <dc:date>; the creator's initials too.
        foreach (var element in xml.Descendants().Where(e => e.Name == Dc + "creator" || e.Name == Dc + "date" || e.Name.LocalName == "creator-initials"))
        {
            element.Value = "";
        }

        xml.Descendants(Office + "annotation").Attributes().Where(a => a.Name.LocalName == "name").Remove();
        return Save(xml);
    }

    private static void BlankPeople(XElement element)
    {
        if (!PersonElements.Contains(element.Name.LocalName))
        {
            return;
        }

        foreach (var attribute in element.Attributes().Where(a => PersonAttributes.Contains(a.Name.LocalName)).ToList())
        {
            if (attribute.Name.LocalName is "date" or "dateUtc")
            {
                attribute.Remove();
            }
            else
            {
                attribute.Value = "";
            }
        }
    }

    /// <summary>
    /// A picture, video or embedded document, cleaned by its own cleaner; a damaged one refuses the document (null). Drawings
    /// (EMF, WMF, SVG, GIF) are kept; anything else (an OLE object, a TIFF) is kept too, but makes the document "not cleaned".
    /// </summary>
    private static byte[]? CleanEmbedded(byte[] data, Cleaning cleaning)
    {
        var kind = MediaCleaner.Detect(data);
        if (kind == MediaKind.Other && !IsTiff(data) && !data.AsSpan().StartsWith(OleSignature))
        {
            return data;
        }

        var result = MediaCleaner.Clean(data, cleaning.Depth + 1);
        if (result.Content is null)
        {
            return result.PastLimits ? throw new CleanerLimitException(result.Refusal ?? "an embedded object goes past the limits") : null;
        }

        if (!result.Cleaned)
        {
            cleaning.Uncleanable ??= "it embeds an object the bot cannot clean";
        }

        return result.Content;
    }

    /// <summary>The XML parts: the rest (pictures, media, embedded objects, binary parts) go through <see cref="CleanEmbedded"/>.</summary>
    private static bool IsXml(string name) =>
        name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".rels", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".psmdcp", StringComparison.OrdinalIgnoreCase);

    private static bool IsTiff(byte[] data) => data.AsSpan().StartsWith("II*\0"u8) || data.AsSpan().StartsWith("MM\0*"u8);

    private static XDocument Load(byte[] data)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = CleanerLimits.MaxXmlCharacters,
            IgnoreWhitespace = false,
        };
        using var reader = XmlReader.Create(new MemoryStream(data, writable: false), settings);
        var xml = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
        var open = new Stack<(XElement Element, int Depth)>();
        if (xml.Root is { } root)
        {
            open.Push((root, 1));
        }

        while (open.TryPop(out var next))
        {
            if (next.Depth > CleanerLimits.MaxXmlDepth)
            {
                throw new CleanerLimitException("its XML nests too deep");
            }

            foreach (var child in next.Element.Elements())
            {
                open.Push((child, next.Depth + 1));
            }
        }

        return xml;
    }

    private static byte[] Save(XDocument xml)
    {
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            xml.Save(writer);
        }

        return output.ToArray();
    }

    /// <summary>The folder a .rels part's targets are relative to: "word/_rels/document.xml.rels" → "word".</summary>
    private static string RelationshipsFolder(string relsName)
    {
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(relsName)) ?? "";
        return folder.Replace('\\', '/');
    }

    private static string Resolve(string folder, string target)
    {
        if (target.StartsWith('/'))
        {
            return target.TrimStart('/');
        }

        var parts = (folder.Length == 0 ? [] : folder.Split('/')).ToList();
        foreach (var piece in target.Split('/'))
        {
            if (piece == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (piece is not ("." or ""))
            {
                parts.Add(piece);
            }
        }

        return string.Join('/', parts);
    }
}
