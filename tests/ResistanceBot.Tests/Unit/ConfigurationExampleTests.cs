using System.Reflection;
using System.Text.Json;

namespace ResistanceBot.Tests.Unit;

public sealed class ConfigurationExampleTests
{
    [Fact]
    public void Every_setting_the_bot_reads_is_listed_in_appsettings_example_json()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "appsettings.example.json")))
        {
            root = Path.GetDirectoryName(root) ?? throw new FileNotFoundException("appsettings.example.json not found above the test folder");
        }

        using var example = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "appsettings.example.json")));
        var optionTypes = typeof(Hosting.BotApp).Assembly.GetTypes()
            .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(t => t.Section is not null && t.Type.Name.EndsWith("Options", StringComparison.Ordinal))
            .ToList();

        Assert.True(optionTypes.Count >= 8, $"found {optionTypes.Count} options classes");
        foreach (var (type, section) in optionTypes)
        {
            Assert.True(example.RootElement.TryGetProperty(section!, out var values), $"section {section} is missing");
            foreach (var property in type.GetProperties().Where(p => p.CanWrite))
            {
                Assert.True(values.TryGetProperty(property.Name, out _), $"{section}:{property.Name} is missing from appsettings.example.json");
            }
        }
    }
}
