using Microsoft.EntityFrameworkCore;
using ResistanceBot.Storage;

namespace ResistanceBot.Tests.Unit;

public sealed class StorageModelTests
{
    [Fact]
    public void The_SQLite_model_has_no_change_without_a_migration()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add NAME --project src/ResistanceBot --context SqliteBotDbContext --output-dir Storage/Migrations/Sqlite");
    }

    [Fact]
    public void The_PostgreSQL_model_has_no_change_without_a_migration()
    {
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add NAME --project src/ResistanceBot --context PostgresBotDbContext --output-dir Storage/Migrations/Postgres");
    }

    [Fact]
    public void No_column_is_named_for_a_readers_Telegram_identity()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        var reader = db.Model.FindEntityType(typeof(Subscriptions.Reader))!;
        var columns = reader.GetProperties().Select(p => p.Name.ToLowerInvariant()).ToList();
        Assert.DoesNotContain(columns, c => c.Contains("userid", StringComparison.Ordinal) || c.Contains("username", StringComparison.Ordinal) || c.Contains("phone", StringComparison.Ordinal) || c.Contains("name", StringComparison.Ordinal) || c == "chatid");
    }
}
