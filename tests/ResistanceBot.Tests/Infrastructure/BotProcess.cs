using System.Diagnostics;
using System.Text;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>The bot as its own OS process (the built ResistanceBot.dll), for what only a real process shows: exit codes, kills.</summary>
public sealed class BotProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private BotProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static BotProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the bot with extra environment variables (for example GC settings) for it alone.</summary>
    public static BotProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // RESISTANCEBOT_BOT_DLL: another build of the bot (the benchmarks compare a commit with the one before).
        var dll = Environment.GetEnvironmentVariable("RESISTANCEBOT_BOT_DLL") ?? Path.Combine(AppContext.BaseDirectory, "ResistanceBot.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // An empty folder: no appsettings.json is picked up by accident.
            WorkingDirectory = Directory.CreateTempSubdirectory("resistancebot-proc").FullName,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Telegram__", StringComparison.Ordinal) || k.StartsWith("Security__", StringComparison.Ordinal) || k.StartsWith("Database__", StringComparison.Ordinal) || k.StartsWith("Vault__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var result = new BotProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            lock (result._stdout)
            {
                result._stdout.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (result._stderr)
            {
                result._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no graceful stop, no finally blocks, as in a power cut.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as systemd and Docker stop a service.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
