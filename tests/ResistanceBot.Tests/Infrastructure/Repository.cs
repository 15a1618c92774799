namespace ResistanceBot.Tests.Infrastructure;

/// <summary>The repository the tests run from: its files (docs, deploy) and the folder for artifacts (TestResults).</summary>
internal static class Repository
{
    private static readonly Lazy<string> Found = new(() =>
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ResistanceBot.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("the repository root was not found above the tests");
        }

        return root;
    });

    public static string Root => Found.Value;

    /// <summary>A file of the repository, by its path from the root ("docs/PRIVACY.md").</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>A folder under TestResults for what a test leaves to look at (screenshots, pictures), created if missing.</summary>
    public static string Artifacts(string folder) => Directory.CreateDirectory(Path.Combine(Root, "TestResults", folder)).FullName;
}
