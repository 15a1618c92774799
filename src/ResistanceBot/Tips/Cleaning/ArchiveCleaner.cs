using System.IO.Compression;

namespace ResistanceBot.Tips;

/// <summary>
/// Cleans a ZIP archive as mat2 does: every file in it is cleaned by its own cleaner (archives in archives too, within
/// <see cref="CleanerLimits.MaxDocumentNesting"/>), and the archive is written anew without its comments, extra fields
/// (owners, exact times) or permissions, every entry dated 1980-01-01. The names of the files in it are kept: they are what
/// the archive holds. A file in it that the bot cannot clean stays as it was, and makes the archive "not cleaned"; an archive
/// the bot cannot read (encrypted, damaged) is kept as sent.
/// </summary>
internal static class ArchiveCleaner
{
    public static CleanResult Clean(byte[] file, int depth)
    {
        if (depth > CleanerLimits.MaxDocumentNesting)
        {
            throw new CleanerLimitException("archives are nested too deep");
        }

        ZipArchive input;
        try
        {
            input = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException)
        {
            return CleanResult.AsSent(MediaKind.Archive, file, ".zip", "the archive cannot be read");
        }

        using (input)
        {
            if (input.Entries.Count > CleanerLimits.MaxZipEntries)
            {
                throw new CleanerLimitException("it has too many files");
            }

            if (input.Entries.Any(e => e.IsEncrypted))
            {
                return CleanResult.AsSent(MediaKind.Archive, file, ".zip", "the archive is encrypted");
            }

            var budget = CleanerLimits.MaxInflatedBytes;
            var cleanedAll = true;
            using var output = new MemoryStream(file.Length + (file.Length / 8) + 4096);
            try
            {
                using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
                foreach (var entry in input.Entries)
                {
                    if (entry.FullName.EndsWith('/'))
                    {
                        zip.CreateEntry(entry.FullName).LastWriteTime = OfficeCleaner.ZipEpoch;
                        continue;
                    }

                    var data = CleanerLimits.Inflate(entry, ref budget);
                    var cleaned = MediaCleaner.Clean(data, depth + 1);
                    if (cleaned.PastLimits)
                    {
                        throw new CleanerLimitException(cleaned.Refusal ?? "a file in it goes past the limits");
                    }

                    cleanedAll &= cleaned.Cleaned;
                    var content = cleaned.Content ?? data; // a damaged file in it stays as it was
                    var target = zip.CreateEntry(entry.FullName, MediaCleaner.IsCompressed(content) ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                    target.LastWriteTime = OfficeCleaner.ZipEpoch;
                    using var stream = target.Open();
                    stream.Write(content);
                }
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                // An encrypted entry, or a method .NET cannot inflate: nothing in it can be cleaned.
                return CleanResult.AsSent(MediaKind.Archive, file, ".zip", "the archive cannot be read");
            }

            return cleanedAll
                ? CleanResult.Done(MediaKind.Archive, output.ToArray(), ".zip")
                : CleanResult.AsSent(MediaKind.Archive, output.ToArray(), ".zip", "it holds a file the bot cannot clean");
        }
    }
}
