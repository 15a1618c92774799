using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ResistanceBot.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ResistanceBot.Tests.Unit;

/// <summary>
/// What can be checked of deploy/ without a Docker engine or a systemd to run them: that every setting they pass is one the bot
/// reads, that secrets stay out of the environment, that the image runs unprivileged, and that the unit's hardening parses.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Root = Repository.Root;

    /// <summary>Variables the runtime or the host reads, not the bot's configuration.</summary>
    private static readonly HashSet<string> RuntimeVariables = ["DOTNET_gcServer", "DOTNET_GCgen0size", "MALLOC_ARENA_MAX", "DOTNET_EnableDiagnostics", "CREDENTIALS_DIRECTORY"];

    /// <summary>Settings that must never be written in a deploy file, only handed over as credentials or secrets.</summary>
    private static readonly string[] Secrets = ["Telegram__BotToken", "Security__DataKey", "Security__PseudonymKey"];

    private static string Read(string path) => File.ReadAllText(Path.Combine(Root, path));

    /// <summary>A `Section__Key` name the bot's configuration knows (appsettings.example.json lists every key).</summary>
    private static void AssertKnownSetting(string name, string where)
    {
        if (RuntimeVariables.Contains(name))
        {
            return;
        }

        using var example = JsonDocument.Parse(Read("appsettings.example.json"));
        var node = example.RootElement;
        foreach (var part in name.Split("__"))
        {
            Assert.True(node.ValueKind == JsonValueKind.Object && node.TryGetProperty(part, out node), $"{where} sets {name}, which the bot does not read");
        }
    }

    [Fact]
    public void The_Dockerfile_builds_in_one_stage_and_runs_unprivileged_in_another_with_its_state_in_a_volume()
    {
        var lines = Read("deploy/Dockerfile").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.True(stages.Count >= 2, "a multi-stage build");
        Assert.Contains(stages, s => s.Contains("dotnet/sdk:10.0", StringComparison.Ordinal));
        Assert.Contains("dotnet/aspnet:10.0", stages[^1], StringComparison.Ordinal);

        var final = lines.SkipWhile(l => l != stages[^1]).ToList();
        var user = Assert.Single(final, l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"^USER\s+(root|0)(:|$)", user);
        Assert.Matches(@"^ENTRYPOINT \[""dotnet"", ""ResistanceBot.dll""\]$", final[^1]);
        Assert.Contains("VOLUME /data", final);

        // Every file the build reads from the repository root is copied before the build, and exists.
        var copied = string.Join(' ', lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)));
        foreach (var input in new[] { "Directory.Build.props", "Directory.Packages.props", "BannedSymbols.txt", ".editorconfig", "src/ResistanceBot/ResistanceBot.csproj", "src/ResistanceBot.BotApiEmulator/ResistanceBot.BotApiEmulator.csproj" })
        {
            Assert.True(File.Exists(Path.Combine(Root, input)), input);
            Assert.Contains(input, copied, StringComparison.Ordinal);
        }

        // ENV lines: settings the bot knows, the database inside the volume, and no secret baked into the image.
        var env = string.Join(' ', final.SkipWhile(l => !l.StartsWith("ENV ", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("RUN ", StringComparison.Ordinal)));
        foreach (var name in AssignedNames(env["ENV ".Length..].Replace("\\", " ", StringComparison.Ordinal)))
        {
            AssertKnownSetting(name, "the Dockerfile");
        }

        Assert.Contains("Database__ConnectionString=\"Data Source=/data/", env, StringComparison.Ordinal);
        Assert.All(Secrets, s => Assert.DoesNotContain(s, Read("deploy/Dockerfile"), StringComparison.Ordinal));
        Assert.Contains("**/obj/", Read(".dockerignore"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_compose_file_runs_the_bot_read_only_on_PostgreSQL_with_every_secret_in_a_file()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Read("deploy/compose.yaml")));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root["services"];
        var bot = (YamlMappingNode)services["bot"];
        var postgres = (YamlMappingNode)services["postgres"];
        string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;

        Assert.Equal("true", Scalar(bot["read_only"]));
        Assert.Contains("ALL", ((YamlSequenceNode)bot["cap_drop"]).Select(Scalar));
        Assert.Contains("no-new-privileges:true", ((YamlSequenceNode)bot["security_opt"]).Select(Scalar));
        Assert.Equal("deploy/Dockerfile", Scalar(((YamlMappingNode)bot["build"])["dockerfile"]));
        Assert.True(File.Exists(Path.Combine(Root, "deploy", Scalar(((YamlMappingNode)bot["build"])["context"]), "deploy/Dockerfile")));
        Assert.Equal("service_healthy", Scalar(((YamlMappingNode)((YamlMappingNode)bot["depends_on"])["postgres"])["condition"]));
        Assert.True(postgres.Children.ContainsKey("healthcheck"), "the bot waits for a healthy database");
        Assert.DoesNotContain(":latest", Scalar(postgres["image"]), StringComparison.Ordinal);
        Assert.All(((YamlSequenceNode)bot["ports"]).Select(Scalar), p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));

        var environment = (YamlMappingNode)bot["environment"];
        foreach (var (key, value) in environment.Children.Select(c => (Scalar(c.Key), Scalar(c.Value))))
        {
            AssertKnownSetting(key, "compose.yaml");
            Assert.DoesNotContain(key, Secrets);
        }

        Assert.Equal("Postgres", Scalar(environment["Database__Provider"]));
        Assert.Equal("/run/secrets", Scalar(environment["CREDENTIALS_DIRECTORY"]));

        // Each secret of the bot is a setting the bot reads from $CREDENTIALS_DIRECTORY, declared at the top with a file.
        var declared = (YamlMappingNode)root["secrets"];
        var botSecrets = ((YamlSequenceNode)bot["secrets"]).Select(Scalar).ToList();
        Assert.Superset(Secrets.ToHashSet(), botSecrets.ToHashSet());
        foreach (var secret in botSecrets)
        {
            AssertKnownSetting(secret, "compose.yaml's secrets");
            Assert.Equal($"./secrets/{secret}", Scalar(((YamlMappingNode)declared[secret])["file"]));
        }

        Assert.Contains("secrets/", Read("deploy/.gitignore"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_systemd_unit_is_hardened_takes_its_keys_as_credentials_and_parses()
    {
        var unit = Read("deploy/resistancebot.service");
        var settings = unit.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.IndexOf('=', StringComparison.Ordinal)], Value: l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToList();
        string One(string key) => Assert.Single(settings, s => s.Key == key).Value;

        Assert.Equal("yes", One("DynamicUser"));
        Assert.Equal("strict", One("ProtectSystem"));
        Assert.Equal("yes", One("NoNewPrivileges"));
        Assert.Equal("resistancebot", One("StateDirectory"));
        Assert.Equal(string.Empty, One("CapabilityBoundingSet"));
        Assert.DoesNotContain(settings, s => s.Key == "MemoryDenyWriteExecute" && s.Value == "yes"); // the JIT needs it off
        Assert.EndsWith("/ResistanceBot.dll", One("ExecStart"), StringComparison.Ordinal);

        var credentials = settings.Where(s => s.Key == "LoadCredential").Select(s => s.Value.Split(':')[0]).ToList();
        Assert.Superset(Secrets.ToHashSet(), credentials.ToHashSet());
        credentials.ForEach(c => AssertKnownSetting(c, "the unit's LoadCredential"));
        foreach (var environment in settings.Where(s => s.Key == "Environment"))
        {
            foreach (var name in AssignedNames(environment.Value))
            {
                AssertKnownSetting(name, "the unit");
                Assert.DoesNotContain(name, Secrets);
            }
        }

        Assert.Contains("Data Source=/var/lib/resistancebot/", unit, StringComparison.Ordinal);

        // systemd's own parser, where there is one: every directive known and every value valid.
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            var copy = Path.Combine(Directory.CreateTempSubdirectory("unit").FullName, "resistancebot.service");
            File.WriteAllText(copy, Regex.Replace(unit, "^ExecStart=.*$", "ExecStart=/bin/true", RegexOptions.Multiline));
            using var verify = Process.Start(new ProcessStartInfo("/usr/bin/systemd-analyze", ["verify", copy]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var errors = verify.StandardError.ReadToEnd();
            verify.WaitForExit();
            Assert.True(errors.Trim().Length == 0 && verify.ExitCode == 0, "systemd-analyze verify: " + errors);
        }
    }

    /// <summary>The names in <c>NAME=value NAME="a value"</c> (Dockerfile ENV and systemd Environment= share the form).</summary>
    private static IEnumerable<string> AssignedNames(string assignments)
    {
        foreach (Match m in Assignment().Matches(assignments))
        {
            yield return m.Groups["name"].Value;
        }
    }

    [GeneratedRegex(@"""(?<name>[A-Za-z_][A-Za-z0-9_]*)=[^""]*""|(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?:""[^""]*""|\S*)")]
    private static partial Regex Assignment();
}
