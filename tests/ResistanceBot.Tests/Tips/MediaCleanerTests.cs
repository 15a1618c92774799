using System.Text;
using MetadataExtractor;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Png;
using MetadataExtractor.Formats.WebP;
using ResistanceBot.Tips;
using Directory = MetadataExtractor.Directory;

namespace ResistanceBot.Tests.Tips;

/// <summary>Privacy promise 5: files lose EXIF (GPS, serial), XMP, IPTC, comments and text chunks; the image stays displayable.</summary>
public sealed class MediaCleanerTests
{
    private static readonly string[] Secrets = ["Petrovich", "0123456789", "secret comment"];

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Media", name));

    private static IReadOnlyList<Directory> Read(byte[] content) => ImageMetadataReader.ReadMetadata(new MemoryStream(content));

    private static string Dump(IEnumerable<Directory> directories) =>
        string.Join("\n", directories.SelectMany(d => d.Tags.Select(t => $"{d.Name}/{t.Name}={t.Description}")));

    private static readonly string[] MetadataDirectories = ["GPS", "Exif IFD0", "Exif SubIFD", "XMP", "IPTC", "JpegComment", "PNG-tEXt", "PNG-iTXt", "PNG-zTXt", "PNG-tIME"];

    [Theory]
    [InlineData("gps.jpg")]
    [InlineData("text.png")]
    [InlineData("exif.webp")]
    public void Promise_5_cleaned_files_carry_no_GPS_no_EXIF_no_XMP_no_IPTC_no_comments(string fixture)
    {
        var original = Fixture(fixture);
        var before = Read(original);
        Assert.Contains(before, d => d.Name == "GPS"); // the control: the fixture does carry a location
        Assert.Contains(Secrets, secret => Dump(before).Contains(secret, StringComparison.Ordinal));

        var result = MediaCleaner.Clean(original);

        Assert.True(result.Cleaned, result.Refusal);
        var after = Read(result.Content!);
        Assert.DoesNotContain(after, d => MetadataDirectories.Contains(d.Name) || d.Name.StartsWith("Exif", StringComparison.Ordinal));
        var text = Encoding.Latin1.GetString(result.Content!);
        Assert.All(Secrets, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
    }

    [Fact]
    public void A_cleaned_JPEG_keeps_its_frame_and_is_smaller()
    {
        var original = Fixture("gps.jpg");
        var cleaned = MediaCleaner.Clean(original).Content!;
        var jpeg = Read(cleaned).OfType<JpegDirectory>().Single();
        Assert.Equal((64, 48), (jpeg.GetImageWidth(), jpeg.GetImageHeight()));
        Assert.True(cleaned.Length < original.Length - 1000);
        Assert.Equal([0xFF, 0xD9], cleaned[^2..]);
    }

    [Fact]
    public void A_cleaned_PNG_keeps_its_header_and_image_data_and_a_cleaned_WebP_its_size_and_flags()
    {
        var png = MediaCleaner.Clean(Fixture("text.png")).Content!;
        Assert.Equal(32, Read(png).OfType<PngDirectory>().First(d => d.Name == "PNG-IHDR").GetInt32(PngDirectory.TagImageWidth));

        var webp = MediaCleaner.Clean(Fixture("exif.webp")).Content!;
        Assert.Equal(webp.Length - 8, BitConverter.ToInt32(webp, 4));
        var header = Read(webp).OfType<WebPDirectory>().First();
        Assert.Equal(32, header.GetInt32(WebPDirectory.TagImageWidth));
        Assert.Equal("VP8X", Encoding.ASCII.GetString(webp, 12, 4));
        Assert.Equal(0, webp[20] & 0x0C); // VP8X no longer announces EXIF (0x08) or XMP (0x04)
    }

    [Theory]
    [InlineData("gps.jpg")]
    [InlineData("text.png")]
    [InlineData("exif.webp")]
    public void Truncated_flipped_and_oversized_files_are_cleaned_or_refused_and_never_crash(string fixture)
    {
        var original = Fixture(fixture);
        var random = new Random(fixture.Length * 7919);
        var cases = new List<byte[]>();
        for (var length = 0; length < original.Length; length += Math.Max(1, original.Length / 200))
        {
            cases.Add(original[..length]);
        }

        for (var i = 0; i < 400; i++)
        {
            var flipped = (byte[])original.Clone();
            for (var n = random.Next(1, 8); n > 0; n--)
            {
                flipped[random.Next(flipped.Length)] = (byte)random.Next(256);
            }

            cases.Add(flipped);
        }

        // Length fields that point far past the end, and a huge file of repeated segments.
        var huge = (byte[])original.Clone();
        huge[4] = 0xFF;
        huge[5] = 0xFF;
        cases.Add(huge);
        cases.Add([.. original[..20], .. Enumerable.Repeat((byte)0xFF, 100_000)]);

        foreach (var bytes in cases)
        {
            var result = MediaCleaner.Clean(bytes);
            Assert.True(result.Cleaned || result.Refusal is not null || result.Kind == MediaKind.Other);
            if (result.Cleaned)
            {
                // What passes for an image after damage must still carry no location.
                var after = Record.Exception(() => Read(result.Content!)) is null ? Read(result.Content!) : [];
                Assert.DoesNotContain(after, d => d.Name == "GPS");
            }
        }
    }
}
