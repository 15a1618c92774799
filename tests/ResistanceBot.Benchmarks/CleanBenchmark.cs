using System.Diagnostics;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using ResistanceBot.Tips;

/// <summary>
/// --clean: what cleaning costs a tipster's upload: a 20 MB MP4 (made by ffmpeg, with the location and phone tags a phone
/// writes) and a 5 MB DOCX (written with DocumentFormat.OpenXml: text, comments, revisions and photos), each cleaned 7 times.
/// Prints the median time, the bytes allocated per byte of file (an upper bound on the memory a cleaning holds at its peak),
/// and the process's peak working set.
/// </summary>
internal static class CleanBenchmark
{
    public static int Run()
    {
        Console.WriteLine($"ResistanceBot cleaning benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var dir = Directory.CreateTempSubdirectory("clean-benchmark-").FullName;
        try
        {
            var mp4 = Path.Combine(dir, "video.mp4");
            if (!Ffmpeg("-f", "lavfi", "-i", "testsrc=size=1280x720:rate=30:duration=10,noise=alls=40:allf=t", "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
                "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M", "-maxrate", "16M", "-bufsize", "4M", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-metadata", "location=+55.7558+037.6173/", "-metadata", "creation_time=2019-05-09T10:00:00Z", "-metadata", "artist=Ivan Petrov", mp4))
            {
                Console.WriteLine("ffmpeg is needed to make the video: run tests/tools (or apt-get install ffmpeg).");
                return 1;
            }

            var photo = Path.Combine(dir, "photo.jpg");
            Ffmpeg("-f", "lavfi", "-i", "testsrc=size=1920x1080,noise=alls=40", "-frames:v", "1", "-q:v", "2", photo);
            var docx = Path.Combine(dir, "report.docx");
            File.WriteAllBytes(docx, Docx(File.ReadAllBytes(photo), 5 * 1000 * 1000));
            // Small files of each kind, cleaned first in the process that measures the peak, so that compiling the code is not counted.
            var smallMp4 = Path.Combine(dir, "small.mp4");
            Ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", smallMp4);
            var smallDocx = Path.Combine(dir, "small.docx");
            File.WriteAllBytes(smallDocx, Docx(File.ReadAllBytes(photo), 1));
            Report("MP4", mp4, smallMp4, targetMs: 200);
            Report("DOCX", docx, smallDocx, targetMs: 200);
            Console.WriteLine($"peak working set of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MB");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Report(string what, string path, string warmUp, double targetMs)
    {
        var file = File.ReadAllBytes(path);
        var first = MediaCleaner.Clean(file);
        if (!first.Cleaned)
        {
            throw new InvalidOperationException($"the {what} was not cleaned: {first.Refusal}");
        }

        var (median, fastest, allocated) = Timing.Measure(() => MediaCleaner.Clean(file));
        var peak = PeakInFreshProcess(path, warmUp);
        var perByte = peak / (double)file.Length;
        Console.WriteLine($"{what} of {file.Length / 1e6:0.0} MB: {median:0.0} ms (median of {Timing.Runs}; fastest {fastest:0.0}); peak memory {peak / 1e6:0.0} MB = {perByte:0.00} × the file "
            + $"(resident growth over the cleaning, the cleaned copy included); {allocated / (double)file.Length:0.00} bytes allocated per byte; "
            + $"targets < {targetMs} ms and < 2 × the file: {(median < targetMs && perByte < 2 ? "met" : "NOT met")}");
    }

    /// <summary>
    /// The peak memory of one cleaning, measured in a process of its own, where no earlier run left memory to reuse, with the
    /// bot's own GC settings (workstation GC, a 4 MB gen0 budget: src/ResistanceBot/ResistanceBot.csproj).
    /// </summary>
    private static long PeakInFreshProcess(string path, string warmUp)
    {
        var host = Environment.ProcessPath!;
        string[] args = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(CleanBenchmark).Assembly.Location, "--clean-peak", path, warmUp] : ["--clean-peak", path, warmUp];
        var start = new ProcessStartInfo(host, args) { RedirectStandardOutput = true };
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_GCgen0size"] = "400000"; // hexadecimal: 4 MB
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// --clean-peak FILE WARMUP: how far this process's resident memory rises while it cleans the file once, the cleaned copy kept to
    /// the end as a caller would (Linux resets the peak, VmHWM, when "5" is written to /proc/self/clear_refs).
    /// </summary>
    public static int Peak(string path, string warmUp)
    {
        MediaCleaner.Clean(File.ReadAllBytes(warmUp));
        var file = File.ReadAllBytes(path);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        File.WriteAllText("/proc/self/clear_refs", "5");
        var before = Status("VmRSS");
        var result = MediaCleaner.Clean(file);
        var peak = Status("VmHWM");
        GC.KeepAlive(result);
        Console.WriteLine(peak - before);
        return 0;
    }

    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    /// <summary>A Word file of about <paramref name="size"/> bytes: paragraphs with tracked insertions, comments and photos.</summary>
    private static byte[] Docx(byte[] jpeg, int size)
    {
        using var output = new MemoryStream();
        using (var document = WordprocessingDocument.Create(output, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            document.PackageProperties.Creator = "Ivan Petrov";
            var main = document.AddMainDocumentPart();
            var body = new Body();
            for (var i = 0; i < 2000; i++)
            {
                body.Append(new Paragraph(
                    new Run(new Text($"Paragraph {i}: eleven trucks left the depot at night and went east along the river road.")),
                    new InsertedRun(new Run(new Text(" A correction."))) { Id = $"{i}", Author = "Ivan Petrov", Date = new DateTime(2019, 5, 9, 10, 0, 0, DateTimeKind.Utc) })
                { RsidParagraphAddition = "00A1B2C3" });
            }

            main.Document = new Document(body);
            var images = Math.Max(1, (size - 50_000 + jpeg.Length - 1) / jpeg.Length);
            for (var i = 0; i < images; i++)
            {
                main.AddImagePart(ImagePartType.Jpeg).FeedData(new MemoryStream(jpeg));
            }
        }

        return output.ToArray();
    }

    private static bool Ffmpeg(params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("ffmpeg", ["-v", "error", "-y", .. args]) { RedirectStandardError = true })!;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
