using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml.Packaging;
using PdfSharp.Pdf.IO;
using ResistanceBot.Tests.Infrastructure;
using ResistanceBot.Tips;

namespace ResistanceBot.Tests.Tips.Cleaning;

/// <summary>
/// Every format the bot cleans, judged by exiftool as an investigator would read it: a dirty file made with the real tools
/// names the place, the device, the person and the time; its cleaned copy names none of them, and still opens in ffprobe,
/// libheif, DocumentFormat.OpenXml or PDFsharp with its content unchanged.
/// </summary>
[Collection(CleanersAlone.Name)]
public sealed partial class CleanedFileTests
{
    /// <summary>Tags that say where, with what or by whom a file was made.</summary>
    [GeneratedRegex("GPS|Location|ISO6709|^Make$|^Model$|Serial|Author|Artist|Creator|Company|LastModifiedBy|Manager|By-line|Owner|^Software$|^Copyright$|Comment|ProfileDescription|DeviceManufacturer|DeviceModel|ProfileCreator|Initials|PrinterName|Title", RegexOptions.IgnoreCase)]
    private static partial Regex Identifying();

    /// <summary>A date (2019-05-09, 2019:05:09 10:00:00 and the like).</summary>
    [GeneratedRegex(@"(19|20)\d\d[:\-]\d\d[:\-]\d\d")]
    private static partial Regex Date();

    public static TheoryData<string> Formats() => [.. DirtyFiles.Names];

    /// <summary>What may stay: empty fields; PDFsharp names itself as the PDF's producer; a ZIP's entries carry DOS time zero (1980-01-01).</summary>
    private static bool Allowed((string Group, string Tag, string Value) tag) =>
        string.IsNullOrWhiteSpace(tag.Value)
        || (tag.Tag is "Creator" or "Producer" or "CreatorTool" && tag.Value.StartsWith("PDFsharp", StringComparison.Ordinal))
        || tag.Value.StartsWith("1980:01:01", StringComparison.Ordinal) || tag.Value.StartsWith("0000:00:00", StringComparison.Ordinal);

    private static string Show(IEnumerable<(string Group, string Tag, string Value)> tags) => string.Join("\n", tags.Select(t => $"[{t.Group}] {t.Tag} = {t.Value}"));

    private static bool Identifies((string Group, string Tag, string Value) tag) =>
        !Allowed(tag) && (Identifying().IsMatch(tag.Tag) || Date().IsMatch(tag.Value) || DirtyFiles.Secrets.Any(s => tag.Value.Contains(s, StringComparison.OrdinalIgnoreCase)));

    private static string Cleaned(string name, out CleanResult result)
    {
        result = MediaCleaner.Clean(DirtyFiles.Bytes(name));
        Assert.True(result.Cleaned, $"{name}: {result.Refusal}");
        var path = Path.Combine(Path.GetDirectoryName(DirtyFiles.PathOf(name))!, "cleaned-" + name);
        File.WriteAllBytes(path, result.Content!);
        return path;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void After_cleaning_exiftool_finds_no_place_device_person_or_date(string name)
    {
        // The control: the dirty file does carry what the cleaner must remove.
        var dirty = Tools.ExifTool(DirtyFiles.PathOf(name));
        Assert.True(dirty.Count(Identifies) >= 3, $"{name} is not dirty enough to judge:\n{Show(dirty)}");

        var path = Cleaned(name, out var result);

        var after = Tools.ExifTool(path);
        Assert.True(!after.Any(Identifies), $"{name} still says:\n{Show(after.Where(Identifies))}");
        var bytes = Encoding.Latin1.GetString(result.Content!);
        foreach (var secret in DirtyFiles.Secrets)
        {
            Assert.DoesNotContain(secret, bytes, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("+55.7558", bytes, StringComparison.Ordinal);
        Assert.Equal(Path.GetExtension(name), result.Extension);
    }

    [Theory]
    [InlineData("video.mp4")]
    [InlineData("video.mov")]
    [InlineData("video.3gp")]
    [InlineData("sound.m4a")]
    [InlineData("sound.mp3")]
    [InlineData("sound.ogg")]
    [InlineData("sound.opus")]
    [InlineData("photo.jpg")]
    [InlineData("photo.png")]
    [InlineData("photo.webp")]
    public void Ffprobe_reads_every_stream_of_the_cleaned_file_with_its_duration_and_ffmpeg_decodes_it_all(string name)
    {
        var before = Tools.Streams(DirtyFiles.PathOf(name));
        var path = Cleaned(name, out _);

        var after = Tools.Streams(path);
        Assert.Equal(before.Count, after.Count);
        foreach (var (was, now) in before.Zip(after))
        {
            Assert.Equal((was.Type, was.Codec, was.Size), (now.Type, now.Codec, now.Size));
            Assert.Equal(was.Duration, now.Duration, 3);
        }

        Assert.Equal("", Tools.DecodeErrors(path));
        // Every sample byte kept: each packet of each stream is the same as in the dirty file (a picture: each pixel).
        var hashes = name.StartsWith("photo", StringComparison.Ordinal) ? (Func<string, IReadOnlyList<string>>)Tools.FrameHashes : Tools.PacketHashes;
        Assert.Equal(hashes(DirtyFiles.PathOf(name)), hashes(path));
    }

    [Theory]
    [InlineData("photo.heic")]
    [InlineData("photo.avif")]
    public void A_cleaned_HEIF_image_still_decodes_at_its_size(string name)
    {
        var path = Cleaned(name, out _);
        var png = path + ".png";
        Tools.Run("heif-convert", path, png);
        Assert.Equal("320x240", Assert.Single(Tools.Streams(png)).Size);
    }

    [Fact]
    public void A_cleaned_JPEG_loses_its_thumbnails_and_colour_profile()
    {
        var dirty = Tools.ExifTool(DirtyFiles.PathOf("photo.jpg"));
        Assert.Contains(dirty, t => t.Group == "JFXX" && t.Tag == "ThumbnailImage");
        Assert.Contains(dirty, t => t.Group == "ICC-header");

        var after = Tools.ExifTool(Cleaned("photo.jpg", out _));
        Assert.DoesNotContain(after, t => t.Tag.Contains("Thumbnail", StringComparison.Ordinal) || t.Group.StartsWith("ICC", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("report.docx")]
    [InlineData("table.xlsx")]
    [InlineData("slides.pptx")]
    public void A_cleaned_Office_file_opens_with_DocumentFormat_OpenXml_and_keeps_its_text_but_no_names(string name)
    {
        var path = Cleaned(name, out _);
        using var file = File.OpenRead(path);
        using OpenXmlPackage package = name.EndsWith(".docx", StringComparison.Ordinal) ? WordprocessingDocument.Open(file, false)
            : name.EndsWith(".xlsx", StringComparison.Ordinal) ? SpreadsheetDocument.Open(file, false) : PresentationDocument.Open(file, false);
        Assert.True(string.IsNullOrEmpty(package.PackageProperties.Creator));
        Assert.True(string.IsNullOrEmpty(package.PackageProperties.LastModifiedBy));
        Assert.Null(package.PackageProperties.Created);
        var parts = package.GetAllParts().ToList();
        Assert.DoesNotContain(parts, p => p is ThumbnailPart or CustomFilePropertiesPart or SpreadsheetPrinterSettingsPart);
        var xml = string.Concat(parts.Where(p => p.ContentType.EndsWith("xml", StringComparison.Ordinal)).Select(p =>
        {
            using var reader = new StreamReader(p.GetStream());
            return reader.ReadToEnd();
        }));
        Assert.DoesNotContain("w:rsid", xml, StringComparison.Ordinal);
        Assert.DoesNotContain(DirtyFiles.Person, xml, StringComparison.Ordinal);
        if (package is WordprocessingDocument word)
        {
            var text = word.MainDocumentPart!.Document!.Body!.InnerText;
            Assert.Contains(DirtyFiles.Text, text, StringComparison.Ordinal);
            Assert.Contains("and went east", text, StringComparison.Ordinal); // the tracked change stays, without its author

            // The picture inside is cleaned by the JPEG cleaner.
            var image = word.MainDocumentPart.ImageParts.Single();
            var picture = Path.Combine(Path.GetDirectoryName(path)!, "docx-picture.jpg");
            using (var stream = image.GetStream())
            using (var output = File.Create(picture))
            {
                stream.CopyTo(output);
            }

            Assert.DoesNotContain(Tools.ExifTool(picture), t => Identifies(t) || t.Tag.Contains("Thumbnail", StringComparison.Ordinal));
        }
        else if (package is SpreadsheetDocument sheet)
        {
            Assert.Contains(DirtyFiles.Text, sheet.WorkbookPart!.WorksheetParts.Single().Worksheet!.InnerText, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("report.odt")]
    [InlineData("table.ods")]
    [InlineData("slides.odp")]
    public void A_cleaned_OpenDocument_file_keeps_its_text_and_mimetype_first_and_loses_meta_settings_and_thumbnail(string name)
    {
        var path = Cleaned(name, out _);
        using var zip = ZipFile.OpenRead(path);
        Assert.Equal("mimetype", zip.Entries[0].FullName);
        Assert.Equal(zip.Entries[0].Length, zip.Entries[0].CompressedLength); // stored, as ODF requires
        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("Thumbnails/", StringComparison.Ordinal));
        string Read(string entry)
        {
            using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
            return reader.ReadToEnd();
        }

        Assert.Contains(DirtyFiles.Text, Read("content.xml"), StringComparison.Ordinal);
        Assert.DoesNotContain("2019", Read("content.xml"), StringComparison.Ordinal);
        Assert.DoesNotContain("creator", Read("meta.xml"), StringComparison.Ordinal);
        Assert.DoesNotContain("Printer", Read("settings.xml"), StringComparison.Ordinal);
        Assert.DoesNotContain("Thumbnails", Read("META-INF/manifest.xml"), StringComparison.Ordinal);
        Assert.All(zip.Entries, e => Assert.True(e.LastWriteTime.Year <= 1980, $"{e.FullName} is dated {e.LastWriteTime}"));
    }

    [Fact]
    public void A_cleaned_PDF_opens_with_PDFsharp_with_its_page_and_picture_and_no_info_metadata_or_ids()
    {
        var path = Cleaned("report.pdf", out var result);
        using var pdf = PdfReader.Open(path, PdfDocumentOpenMode.Import);
        Assert.Equal(1, pdf.PageCount);
        Assert.True(string.IsNullOrEmpty(pdf.Info.Author));
        Assert.True(string.IsNullOrEmpty(pdf.Info.Title));
        var text = Encoding.Latin1.GetString(result.Content!);
        // The only XMP left is the one PDFsharp writes on every save, from the emptied Info: its own name, no dates, fresh ids.
        var xmp = Tools.ExifTool(path).Where(t => t.Group.StartsWith("XMP", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(xmp, t => t.Tag == "DocumentID" && Tools.ExifTool(DirtyFiles.PathOf("report.pdf")).Contains(t));
        Assert.All(xmp.Where(t => t.Tag.EndsWith("Date", StringComparison.Ordinal)), t => Assert.StartsWith("0001:01:01", t.Value, StringComparison.Ordinal));
        Assert.DoesNotContain("/CreationDate", text, StringComparison.Ordinal);
        Assert.Contains("/DCTDecode", text, StringComparison.Ordinal); // the picture is still there, cleaned
        Assert.DoesNotContain("Exif", text, StringComparison.Ordinal);

        // A second cleaning gets new document ids: they do not tie two copies of one leak together.
        var again = Encoding.Latin1.GetString(MediaCleaner.Clean(DirtyFiles.Bytes("report.pdf")).Content!);
        string Ids(string s) => Regex.Match(s, @"/ID\s*\[[^\]]*\]").Value;
        Assert.NotEqual(Ids(text), Ids(again));
    }

    [Fact]
    public void The_type_is_decided_by_the_bytes_never_by_the_name()
    {
        // What the tipster calls it plays no part: Clean sees only bytes, and a PDF is a PDF, a video a video.
        Assert.Equal(MediaKind.Pdf, MediaCleaner.Detect(DirtyFiles.Bytes("report.pdf")));
        Assert.Equal(MediaKind.Mp4, MediaCleaner.Detect(DirtyFiles.Bytes("video.mov")));
        Assert.Equal(MediaKind.Heif, MediaCleaner.Detect(DirtyFiles.Bytes("photo.avif")));
        Assert.Equal(MediaKind.Ooxml, MediaCleaner.Detect(DirtyFiles.Bytes("table.xlsx")));
        Assert.Equal(MediaKind.Odf, MediaCleaner.Detect(DirtyFiles.Bytes("slides.odp")));
        Assert.Equal(MediaKind.Ogg, MediaCleaner.Detect(DirtyFiles.Bytes("sound.opus")));
        Assert.Equal(".xlsx", MediaCleaner.Clean(DirtyFiles.Bytes("table.xlsx")).Extension);

        // Plain text holds nothing to remove; an executable and unknown bytes are kept as sent: the tipster is asked first.
        Assert.Equal((MediaKind.Text, true), (MediaCleaner.Clean("just text\n"u8.ToArray()).Kind, MediaCleaner.Clean("just text\n"u8.ToArray()).Cleaned));
        foreach (var other in new[] { [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0], new byte[] { 0, 1, 2, 3 } })
        {
            var result = MediaCleaner.Clean(other);
            Assert.Equal((MediaKind.Other, false), (result.Kind, result.Cleaned));
            Assert.Equal(other, result.Content);
        }
    }

    private static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            zip.Comment = $"made by {DirtyFiles.Person}";
            foreach (var (name, data) in entries)
            {
                var entry = zip.CreateEntry(name);
                entry.LastWriteTime = new DateTimeOffset(2019, 5, 9, 10, 0, 0, TimeSpan.Zero);
                entry.Comment = DirtyFiles.Serial;
                using var stream = entry.Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    [Fact]
    public void A_ZIP_archive_has_every_file_in_it_cleaned_and_loses_its_comments_and_dates()
    {
        var inner = Zip(("sound.mp3", DirtyFiles.Bytes("sound.mp3")));
        var archive = Zip(("photos/photo.jpg", DirtyFiles.Bytes("photo.jpg")), ("report.docx", DirtyFiles.Bytes("report.docx")), ("notes.txt", "Trucks at 3"u8.ToArray()), ("more.zip", inner));
        var result = MediaCleaner.Clean(archive);
        Assert.True(result.Cleaned, result.Refusal);
        Assert.Equal((MediaKind.Archive, ".zip"), (result.Kind, result.Extension));

        var folder = Directory.CreateTempSubdirectory("cleaned-zip-").FullName;
        using (var zip = new ZipArchive(new MemoryStream(result.Content!), ZipArchiveMode.Read))
        {
            Assert.Equal("", zip.Comment);
            Assert.Equal(["photos/photo.jpg", "report.docx", "notes.txt", "more.zip"], zip.Entries.Select(e => e.FullName));
            Assert.All(zip.Entries, e => Assert.Equal((1980, ""), (e.LastWriteTime.Year, e.Comment)));
            zip.ExtractToDirectory(folder);
        }

        using (var nested = ZipFile.OpenRead(Path.Combine(folder, "more.zip")))
        {
            nested.ExtractToDirectory(Path.Combine(folder, "more"));
        }

        foreach (var file in new[] { "photos/photo.jpg", "report.docx", "more/sound.mp3" })
        {
            var tags = Tools.ExifTool(Path.Combine(folder, file));
            Assert.True(!tags.Any(Identifies), $"{file} in the archive still says:\n{Show(tags.Where(Identifies))}");
        }

        Assert.Equal("Trucks at 3", File.ReadAllText(Path.Combine(folder, "notes.txt")));
        var bytes = Encoding.Latin1.GetString(result.Content!);
        Assert.All(DirtyFiles.Secrets, secret => Assert.DoesNotContain(secret, bytes, StringComparison.OrdinalIgnoreCase));

        // An encrypted archive (the flag set on its entries, as zip -e leaves it) cannot be read: it is kept as sent, not cleaned.
        var encrypted = Zip(("photo.jpg", DirtyFiles.Bytes("photo.jpg")));
        foreach (var (signature, flagAt) in new[] { ("PK\u0003\u0004"u8.ToArray(), 6), ("PK\u0001\u0002"u8.ToArray(), 8) })
        {
            var at = encrypted.AsSpan().IndexOf(signature);
            encrypted[at + flagAt] |= 1;
        }

        var locked = MediaCleaner.Clean(encrypted);
        Assert.Equal((MediaKind.Archive, false), (locked.Kind, locked.Cleaned));
        Assert.Equal(encrypted, locked.Content);

        // A file in it that no cleaner covers keeps the archive "not cleaned", but the rest of it is still cleaned.
        var mixed = MediaCleaner.Clean(Zip(("photo.jpg", DirtyFiles.Bytes("photo.jpg")), ("tool.exe", [(byte)'M', (byte)'Z', 0x90, 0])));
        Assert.Equal((MediaKind.Archive, false), (mixed.Kind, mixed.Cleaned));
        Assert.DoesNotContain(DirtyFiles.Person, Encoding.Latin1.GetString(mixed.Content!), StringComparison.Ordinal);
    }
}
