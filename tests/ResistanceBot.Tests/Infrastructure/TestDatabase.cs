using System.Diagnostics;
using Npgsql;
using ResistanceBot.Storage;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// A fresh, empty database for one test: a SQLite file in its own folder, or a new database on a real PostgreSQL server.
/// Which one is chosen per run by <c>RESISTANCEBOT_TEST_DATABASE</c> (<c>Sqlite</c>, the default, or <c>Postgres</c>);
/// <c>tests/run</c> runs the suite once with each.
/// </summary>
internal sealed class TestDatabase
{
    private const string DefaultServer = "Host=127.0.0.1;Port=55432;Username=postgres;Timeout=5";

    private TestDatabase(DatabaseProvider provider, string connectionString, string? filePath)
    {
        Provider = provider;
        ConnectionString = connectionString;
        FilePath = filePath;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>The SQLite file; null on PostgreSQL.</summary>
    public string? FilePath { get; }

    public static DatabaseProvider RunProvider { get; } =
        Enum.TryParse<DatabaseProvider>(Environment.GetEnvironmentVariable("RESISTANCEBOT_TEST_DATABASE"), ignoreCase: true, out var p) ? p : DatabaseProvider.Sqlite;

    /// <summary>The server the PostgreSQL run uses (its maintenance connection string).</summary>
    public static string PostgresServer { get; } = Environment.GetEnvironmentVariable("RESISTANCEBOT_TEST_POSTGRES") is { Length: > 0 } s ? s : DefaultServer;

    public string[] Settings => [$"--Database:Provider={Provider}", $"--Database:ConnectionString={ConnectionString}"];

    public static TestDatabase New() => New(RunProvider);

    /// <summary>An existing SQLite file, such as a backup.</summary>
    public static TestDatabase SqliteAt(string path) => new(DatabaseProvider.Sqlite, $"Data Source={path}", path);

    /// <summary>The same bot settings (keys and all) on another database.</summary>
    public string[] In(string[] settings) => [.. settings.Where(s => !s.StartsWith("--Database:", StringComparison.Ordinal)), .. Settings];

    public static TestDatabase New(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            var dir = Path.Combine(Path.GetTempPath(), "resistancebot-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, "bot.db");
            return new TestDatabase(provider, $"Data Source={path}", path);
        }

        var name = "rbtest_" + Guid.NewGuid().ToString("N");
        try
        {
            using var connection = new NpgsqlConnection(PostgresServer);
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            create.ExecuteNonQuery();
        }
        catch (NpgsqlException e)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server for the tests answers at '{new NpgsqlConnectionStringBuilder(PostgresServer) { Password = null }}' ({e.Message}). Start one with `tests/postgres start` " +
                "(or run everything with `tests/run`), or point RESISTANCEBOT_TEST_POSTGRES at a server where the tests may create databases.", e);
        }

        // Idle connections go after a few seconds, not Npgsql's 300: the pools of finished tests would otherwise fill the shared
        // server's max_connections while later tests run.
        var csb = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name, ConnectionIdleLifetime = 5, ConnectionPruningInterval = 1 };
        return new TestDatabase(provider, csb.ConnectionString, null);
    }

    /// <summary>
    /// Everything the database holds, as bytes to scan for leaks: the SQLite file with its WAL and shm, or a full pg_dump
    /// (schema and data as text) of the PostgreSQL database.
    /// </summary>
    public async Task<byte[]> StoredBytesAsync()
    {
        if (FilePath is not null)
        {
            var files = Directory.GetFiles(Path.GetDirectoryName(FilePath)!);
            Assert.Contains(files, f => f.EndsWith(".db", StringComparison.Ordinal));
            return files.SelectMany(File.ReadAllBytes).ToArray();
        }

        var csb = new NpgsqlConnectionStringBuilder(ConnectionString);
        var start = new ProcessStartInfo(PgDump(), ["--no-owner", "-h", csb.Host!, "-p", csb.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", csb.Username!, csb.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var dump = Process.Start(start)!;
        using var buffer = new MemoryStream();
        await dump.StandardOutput.BaseStream.CopyToAsync(buffer);
        await dump.WaitForExitAsync();
        Assert.True(dump.ExitCode == 0, "pg_dump failed: " + await dump.StandardError.ReadToEndAsync());
        Assert.Contains("CREATE TABLE", System.Text.Encoding.UTF8.GetString(buffer.ToArray()), StringComparison.Ordinal);
        return buffer.ToArray();
    }

    /// <summary>
    /// The database's own files, as whoever takes the machine finds them: the SQLite file with its WAL and shm; on PostgreSQL, after a
    /// checkpoint, this database's directory, the shared catalog, the WAL and the server log (when the server's data directory is on
    /// this machine and readable, as it is under tests/run; otherwise null).
    /// </summary>
    public async Task<IReadOnlyList<(string Name, byte[] Bytes)>?> RawFilesAsync()
    {
        if (FilePath is not null)
        {
            return [.. Directory.GetFiles(Path.GetDirectoryName(FilePath)!).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))];
        }

        string directory;
        uint oid;
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
            await checkpoint.ExecuteNonQueryAsync();
            await using var where = new NpgsqlCommand("SELECT current_setting('data_directory'), oid FROM pg_database WHERE datname = current_database()", connection);
            await using var reader = await where.ExecuteReaderAsync();
            await reader.ReadAsync();
            (directory, oid) = (reader.GetString(0), reader.GetFieldValue<uint>(1));
        }

        if (!Directory.Exists(directory))
        {
            return null;
        }

        var files = new List<(string, byte[])>();
        foreach (var sub in new[] { Path.Combine("base", oid.ToString(System.Globalization.CultureInfo.InvariantCulture)), "global", "pg_wal" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(directory, sub), "*", SearchOption.AllDirectories))
            {
                files.Add((Path.GetRelativePath(directory, file), ReadShared(file)));
            }
        }

        foreach (var log in Directory.EnumerateFiles(directory, "*.log"))
        {
            files.Add((Path.GetFileName(log), ReadShared(log)));
        }

        return files;
    }

    /// <summary>A file the server may be writing to.</summary>
    private static byte[] ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (FileNotFoundException)
        {
            return []; // a WAL segment removed while we looked
        }
    }

    private static string PgDump() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_dump")).Where(File.Exists).OrderDescending().FirstOrDefault() ?? "pg_dump"
            : "pg_dump";
}
