using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using DocumentFormat.OpenXml.Wordprocessing;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using ResistanceBot.Tests.Infrastructure;
using P = DocumentFormat.OpenXml.Presentation;
using W = DocumentFormat.OpenXml.Wordprocessing;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace ResistanceBot.Tests.Tips.Cleaning;

/// <summary>
/// Files as a phone or an office leaves them, made with the real tools: ffmpeg encodes the pictures and sound, exiftool writes
/// the place, the device, the author and the dates into them, DocumentFormat.OpenXml and PDFsharp write documents with an
/// author, a company, comments and tracked changes. Built once per test run, in a temporary folder.
/// </summary>
internal static class DirtyFiles
{
    public const string Person = "Ivan Petrov";
    public const string Device = "Sonarix";
    public const string Serial = "SN-4242-7777";
    public const string App = "SecretCam";
    public const string Company = "Uralvagon Kombinat";
    public const string Text = "Eleven trucks left the depot at night";

    /// <summary>What the judge looks for in a cleaned file's bytes (besides its tags): each was planted in every dirty file it fits.</summary>
    public static readonly string[] Secrets = [Person, Device, Serial, App, Company, "Petrov"];

    /// <summary>Every format the bot cleans, by the name of its fixture.</summary>
    public static readonly string[] Names =
        ["photo.jpg", "photo.png", "photo.webp", "photo.heic", "photo.avif", "video.mp4", "video.mov", "video.3gp", "sound.m4a", "sound.mp3", "sound.ogg", "sound.opus",
         "report.pdf", "report.docx", "table.xlsx", "slides.pptx", "report.odt", "table.ods", "slides.odp"];

    private static readonly Lazy<string> Folder = new(() => Build(small: false), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> SmallFolder = new(() => Build(small: true), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A colour profile that names its maker and model, as some phones' do.</summary>
    private static readonly byte[] Profile = Convert.FromHexString(
        "000001086c636d73021000006d6e74725247422058595a20000000000000000000000000616373704150504c00000000534e52585839505200000000"
        + "00000000000000000000f6d6000100000000d32d534e5258000000000000000000000000000000000000000000000000000000000000000000000000"
        + "00000000000000000000000164657363000000900000007864657363000000000000001d4976616e20506574726f76277320536f6e61726978205839"
        + "2050726f0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "000000000000000000000000000000000000000000000000");

    public static string PathOf(string name) => System.IO.Path.Combine(Folder.Value, name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    /// <summary>The same file, as small as it can be made (a few KB), for fuzzing.</summary>
    public static byte[] Small(string name) => File.ReadAllBytes(System.IO.Path.Combine(SmallFolder.Value, name));

    private static readonly string[] Exif =
    [
        "-GPSLatitude=55.7558", "-GPSLatitudeRef=N", "-GPSLongitude=37.6173", "-GPSLongitudeRef=E", $"-Make={Device}", $"-Model={Device} X9 Pro",
        $"-SerialNumber={Serial}", "-DateTimeOriginal=2019:05:09 10:00:00", "-CreateDate=2019:05:09 10:00:00", $"-Artist={Person}", $"-Software={App} 3.1",
        $"-XMP-dc:Creator={Person}", $"-Copyright={Person}",
    ];

    private static string Build(bool small)
    {
        var dir = Directory.CreateTempSubdirectory(small ? "small-dirty-files-" : "dirty-files-").FullName;
        var (size, seconds) = small ? ("32x24", "0.3") : ("320x240", "2");
        string At(string name) => System.IO.Path.Combine(dir, name);
        File.WriteAllBytes(At("profile.icc"), Profile);
        void ExifTool(string file, params string[] args) => Tools.Run("exiftool", ["-q", "-overwrite_original", .. args, At(file)]);
        void FfMpeg(params string[] args) => Tools.Run("ffmpeg", ["-v", "error", "-y", .. args]);

        // Pictures: ffmpeg draws them, exiftool tags them; the JPEG also gets an EXIF thumbnail and a JFXX one.
        FfMpeg("-f", "lavfi", "-i", $"testsrc=size={size}", "-frames:v", "1", At("photo.jpg"));
        FfMpeg("-f", "lavfi", "-i", small ? "testsrc=size=16x12" : "testsrc=size=80x60", "-frames:v", "1", At("thumb.jpg"));
        FfMpeg("-f", "lavfi", "-i", $"testsrc=size={size}", "-frames:v", "1", At("photo.png"));
        FfMpeg("-f", "lavfi", "-i", $"testsrc=size={size}", "-frames:v", "1", "-c:v", "libwebp", At("photo.webp"));
        ExifTool("photo.jpg", [.. Exif, "-IPTC:By-line=" + Person, "-Comment=" + Person, $"-ICC_Profile<={At("profile.icc")}", $"-ThumbnailImage<={At("thumb.jpg")}"]);
        AddJfxxThumbnail(At("photo.jpg"), File.ReadAllBytes(At("thumb.jpg")));
        ExifTool("photo.png", [.. Exif, "-PNG:Author=" + Person, "-PNG:CreationTime=2019:05:09 10:00:00", $"-ICC_Profile<={At("profile.icc")}"]);
        // libheif's encoder carries the PNG's EXIF and colour profile into the HEIF files, as a phone's camera writes them.
        Tools.Run("heif-enc", "-q", "50", "-o", At("photo.heic"), At("photo.png"));
        Tools.Run("heif-enc", "-A", "-q", "50", "-o", At("photo.avif"), At("photo.png"));
        ExifTool("photo.webp", [.. Exif, $"-ICC_Profile<={At("profile.icc")}"]);
        ExifTool("photo.heic", Exif);
        ExifTool("photo.avif", Exif);

        // Video and sound, as phones record them: the place, the phone and the time in QuickTime keys, user data and XMP.
        string[] tags = ["-metadata", "location=+55.7558+037.6173/", "-metadata", "creation_time=2019-05-09T10:00:00Z", "-metadata", $"artist={Person}", "-metadata", $"comment={Device} {Serial}"];
        string[] picture = ["-f", "lavfi", "-i", $"testsrc=size={(small ? "64x48" : size)}:rate=25:duration={seconds}"];
        string[] tone = ["-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}"];
        FfMpeg([.. picture, .. tone, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", .. tags, At("video.mp4")]);
        FfMpeg([.. picture, .. tone, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", .. tags, At("video.mov")]);
        FfMpeg(["-f", "lavfi", "-i", $"testsrc=size=352x288:rate=15:duration={seconds}", .. tone, "-c:v", "h263", "-c:a", "aac", "-ac", "1", "-ar", "8000", .. tags, At("video.3gp")]);
        FfMpeg([.. tone, "-c:a", "aac", .. tags, At("sound.m4a")]);
        FfMpeg([.. tone, "-c:a", "libmp3lame", "-id3v2_version", "3", "-write_id3v1", "1", .. tags, At("sound.mp3")]);
        FfMpeg([.. tone, "-c:a", "libvorbis", .. tags, At("sound.ogg")]);
        FfMpeg([.. tone, "-c:a", "libopus", .. tags, At("sound.opus")]);
        string[] keys = ["-Keys:GPSCoordinates=55.7558, 37.6173", $"-Keys:Make={Device}", $"-Keys:Model={Device} X9 Pro", "-Keys:CreationDate=2019:05:09 10:00:00+03:00",
            $"-UserData:Make={Device}", $"-XMP-dc:Creator={Person}"];
        ExifTool("video.mp4", keys);
        ExifTool("video.mov", keys);
        ExifTool("video.3gp", keys);
        ExifTool("sound.m4a", [$"-ItemList:Artist={Person}", $"-ItemList:Comment={Serial}", $"-XMP-dc:Creator={Person}"]);

        File.WriteAllBytes(At("report.pdf"), Pdf(File.ReadAllBytes(At("photo.jpg"))));
        ExifTool("report.pdf", [$"-PDF:Author={Person}", $"-PDF:Creator={App}", $"-XMP-dc:Creator={Person}", $"-XMP-pdf:Producer={App}", "-PDF:CreateDate=2019:05:09 10:00:00"]);
        File.WriteAllBytes(At("report.docx"), Docx(File.ReadAllBytes(At("photo.jpg"))));
        File.WriteAllBytes(At("table.xlsx"), Xlsx());
        File.WriteAllBytes(At("slides.pptx"), Pptx());
        File.WriteAllBytes(At("report.odt"), Odf("text", File.ReadAllBytes(At("photo.jpg")), File.ReadAllBytes(At("photo.png"))));
        File.WriteAllBytes(At("table.ods"), Odf("spreadsheet", File.ReadAllBytes(At("photo.jpg")), File.ReadAllBytes(At("photo.png"))));
        File.WriteAllBytes(At("slides.odp"), Odf("presentation", File.ReadAllBytes(At("photo.jpg")), File.ReadAllBytes(At("photo.png"))));
        using (var archive = ZipFile.Open(At("archive.zip"), ZipArchiveMode.Create))
        {
            archive.Comment = Person;
            archive.CreateEntryFromFile(At("photo.jpg"), "photos/photo.jpg");
            archive.CreateEntryFromFile(At("sound.mp3"), "sound.mp3");
            archive.CreateEntryFromFile(At("report.odt"), "report.odt");
        }

        return dir;
    }

    /// <summary>A JFXX extension segment after the JFIF one, holding a thumbnail JPEG (exiftool reads it as JFXX:ThumbnailImage).</summary>
    private static void AddJfxxThumbnail(string path, byte[] thumbnail)
    {
        var jpeg = File.ReadAllBytes(path);
        var at = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0)
        {
            at = 4 + ((jpeg[4] << 8) | jpeg[5]);
        }

        var body = new byte[] { (byte)'J', (byte)'F', (byte)'X', (byte)'X', 0, 0x10 }.Concat(thumbnail).ToArray();
        var segment = new byte[] { 0xFF, 0xE0, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2) }.Concat(body);
        File.WriteAllBytes(path, [.. jpeg[..at], .. segment, .. jpeg[at..]]);
    }

    private static byte[] Pdf(byte[] jpeg)
    {
        using var document = new PdfDocument();
        document.Info.Author = Person;
        document.Info.Title = $"Report by {Person}";
        document.Info.Subject = Company;
        var page = document.AddPage();
        using (var graphics = XGraphics.FromPdfPage(page))
        {
            graphics.DrawImage(XImage.FromStream(new MemoryStream(jpeg)), 50, 50, 320, 240);
        }

        using var output = new MemoryStream();
        document.Save(output);
        return output.ToArray();
    }

    private static void Properties(OpenXmlPackage package)
    {
        package.PackageProperties.Creator = Person;
        package.PackageProperties.LastModifiedBy = Person;
        package.PackageProperties.Title = $"Notes of {Person}";
        package.PackageProperties.Created = new DateTime(2019, 5, 9, 10, 0, 0, DateTimeKind.Utc);
        package.PackageProperties.Modified = new DateTime(2019, 5, 9, 11, 0, 0, DateTimeKind.Utc);
        var app = package switch
        {
            WordprocessingDocument w => w.AddExtendedFilePropertiesPart(),
            SpreadsheetDocument s => s.AddExtendedFilePropertiesPart(),
            PresentationDocument p => p.AddExtendedFilePropertiesPart(),
            _ => throw new ArgumentException("unknown package", nameof(package)),
        };
        app.Properties = new DocumentFormat.OpenXml.ExtendedProperties.Properties(
            new DocumentFormat.OpenXml.ExtendedProperties.Company(Company),
            new DocumentFormat.OpenXml.ExtendedProperties.Manager(Person),
            new DocumentFormat.OpenXml.ExtendedProperties.Application($"{App} Office"));
        var custom = package switch
        {
            WordprocessingDocument w => w.AddCustomFilePropertiesPart(),
            SpreadsheetDocument s => s.AddCustomFilePropertiesPart(),
            PresentationDocument p => p.AddCustomFilePropertiesPart(),
            _ => throw new ArgumentException("unknown package", nameof(package)),
        };
        custom.Properties = new DocumentFormat.OpenXml.CustomProperties.Properties(
            new DocumentFormat.OpenXml.CustomProperties.CustomDocumentProperty(new DocumentFormat.OpenXml.VariantTypes.VTLPWSTR(Serial))
            { FormatId = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}", PropertyId = 2, Name = "Badge" });
    }

    private static byte[] Docx(byte[] jpeg)
    {
        using var output = new MemoryStream();
        using (var document = WordprocessingDocument.Create(output, WordprocessingDocumentType.Document))
        {
            Properties(document);
            var main = document.AddMainDocumentPart();
            var image = main.AddImagePart(ImagePartType.Jpeg);
            image.FeedData(new MemoryStream(jpeg));
            var comments = main.AddNewPart<WordprocessingCommentsPart>();
            comments.Comments = new W.Comments(new W.Comment(new W.Paragraph(new W.Run(new W.Text("Check the plates"))))
            { Id = "0", Author = Person, Initials = "IP", Date = new DateTime(2019, 5, 9, 10, 0, 0, DateTimeKind.Utc) });
            var settings = main.AddNewPart<DocumentSettingsPart>();
            settings.Settings = new W.Settings(new AttachedTemplate { Id = "rIdTemplate" }, new Rsids(new RsidRoot { Val = "00A1B2C3" }, new Rsid { Val = "00D4E5F6" }));
            main.Document = new Document(new Body(
                new W.Paragraph(new W.Run(new W.Text(Text))) { RsidParagraphAddition = "00A1B2C3", RsidRunAdditionDefault = "00D4E5F6" },
                new W.Paragraph(
                    new CommentRangeStart { Id = "0" },
                    new InsertedRun(new W.Run(new W.Text(" and went east"))) { Id = "1", Author = Person, Date = new DateTime(2019, 5, 9, 10, 5, 0, DateTimeKind.Utc) },
                    new CommentRangeEnd { Id = "0" },
                    new W.Run(new CommentReference { Id = "0" }))));
            var thumbnail = document.AddThumbnailPart(ThumbnailPartType.Jpeg);
            thumbnail.FeedData(new MemoryStream(jpeg));
        }

        return output.ToArray();
    }

    private static byte[] Xlsx()
    {
        using var output = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook))
        {
            Properties(document);
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook(new Sheets(new X.Sheet { Id = "rId1", SheetId = 1, Name = "Trucks" }));
            var sheet = workbook.AddNewPart<WorksheetPart>("rId1");
            sheet.Worksheet = new Worksheet(new SheetData(new X.Row(new X.Cell { CellReference = "A1", DataType = CellValues.InlineString, InlineString = new InlineString(new X.Text(Text)) }) { RowIndex = 1 }));
            var comments = sheet.AddNewPart<WorksheetCommentsPart>();
            comments.Comments = new X.Comments(new Authors(new Author(Person)), new CommentList(new X.Comment(new CommentText(new X.Text("Check it"))) { Reference = "A1", AuthorId = 0 }));
            var printer = sheet.AddNewPart<SpreadsheetPrinterSettingsPart>();
            printer.FeedData(new MemoryStream(Encoding.Unicode.GetBytes($"\\\\{Company}\\Printer of {Person}")));
        }

        return output.ToArray();
    }

    private static byte[] Pptx()
    {
        using var output = new MemoryStream();
        using (var document = PresentationDocument.Create(output, PresentationDocumentType.Presentation))
        {
            Properties(document);
            var presentation = document.AddPresentationPart();
            presentation.Presentation = new P.Presentation(new P.SlideIdList(), new P.SlideSize { Cx = 9144000, Cy = 6858000 }, new P.NotesSize { Cx = 6858000, Cy = 9144000 });
            var authors = presentation.AddNewPart<CommentAuthorsPart>();
            authors.CommentAuthorList = new P.CommentAuthorList(new P.CommentAuthor { Id = 0, Name = Person, Initials = "IP", LastIndex = 1, ColorIndex = 0 });
        }

        return output.ToArray();
    }

    /// <summary>An OpenDocument file as LibreOffice writes one: meta.xml, settings.xml with the printer, a thumbnail, pictures, tracked changes and a comment.</summary>
    private static byte[] Odf(string kind, byte[] jpeg, byte[] png)
    {
        const string Ns = """xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3" """;
        var content = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <office:document-content {Ns}><office:body><office:{kind}>
            <text:tracked-changes><text:changed-region text:id="c1"><text:insertion><office:change-info><dc:creator>{Person}</dc:creator><dc:date>2019-05-09T10:00:00</dc:date></office:change-info></text:insertion></text:changed-region></text:tracked-changes>
            <text:p>{Text}<office:annotation office:name="n1"><dc:creator>{Person}</dc:creator><dc:date>2019-05-09T10:00:00</dc:date><text:p>Check it</text:p></office:annotation><draw:frame><draw:image xlink:href="Pictures/photo.jpg"/></draw:frame></text:p>
            </office:{kind}></office:body></office:document-content>
            """;
        var meta = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <office:document-meta {Ns}><office:meta><meta:initial-creator>{Person}</meta:initial-creator><dc:creator>{Person}</dc:creator><meta:creation-date>2019-05-09T10:00:00</meta:creation-date><dc:date>2019-05-09T11:00:00</dc:date><meta:generator>{App}Office/7.4</meta:generator><meta:user-defined meta:name="Company">{Company}</meta:user-defined></office:meta></office:document-meta>
            """;
        var settings = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <office:document-settings {Ns}><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">{Company} {Person}</config:config-item></config:config-item-set></office:settings></office:document-settings>
            """;
        var mime = $"application/vnd.oasis.opendocument.{kind}";
        var manifest = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/><manifest:file-entry manifest:full-path="Pictures/photo.jpg" manifest:media-type="image/jpeg"/></manifest:manifest>
            """;
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data, CompressionLevel level = CompressionLevel.Optimal)
            {
                var entry = zip.CreateEntry(name, level);
                entry.LastWriteTime = new DateTimeOffset(2019, 5, 9, 10, 0, 0, TimeSpan.Zero);
                using var stream = entry.Open();
                stream.Write(data);
            }

            Add("mimetype", Encoding.ASCII.GetBytes(mime), CompressionLevel.NoCompression);
            Add("content.xml", Encoding.UTF8.GetBytes(content));
            Add("meta.xml", Encoding.UTF8.GetBytes(meta));
            Add("settings.xml", Encoding.UTF8.GetBytes(settings));
            Add("Thumbnails/thumbnail.png", png);
            Add("Pictures/photo.jpg", jpeg);
            Add("META-INF/manifest.xml", Encoding.UTF8.GetBytes(manifest));
        }

        return output.ToArray();
    }
}
