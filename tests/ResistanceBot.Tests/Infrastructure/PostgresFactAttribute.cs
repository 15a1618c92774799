using ResistanceBot.Storage;

namespace ResistanceBot.Tests.Infrastructure;

/// <summary>
/// A test of what only PostgreSQL offers (several instances on one database). It runs in the PostgreSQL run of the suite
/// (<c>tests/run</c>, or <c>RESISTANCEBOT_TEST_DATABASE=Postgres</c>), where it fails if no server answers, and is reported as
/// skipped, with that reason, in the SQLite run.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestDatabase.RunProvider != DatabaseProvider.Postgres)
        {
            Skip = "needs PostgreSQL: runs in the PostgreSQL half of tests/run (RESISTANCEBOT_TEST_DATABASE=Postgres)";
        }
    }
}

/// <summary>
/// A long test of what does not touch the database (the file cleaners' fuzzing): it runs once, in the SQLite run of the
/// suite, and is reported as skipped in the PostgreSQL run.
/// </summary>
public sealed class OnceTheoryAttribute : TheoryAttribute
{
    public OnceTheoryAttribute()
    {
        if (TestDatabase.RunProvider != DatabaseProvider.Sqlite)
        {
            Skip = "does not touch the database: runs once, in the SQLite half of tests/run";
        }
    }
}

/// <summary>
/// A test of what does not touch the configured database (the sandbox keeps its own SQLite file): it runs once, in the SQLite
/// run of the suite, and is reported as skipped in the PostgreSQL run.
/// </summary>
public sealed class OnceFactAttribute : FactAttribute
{
    public OnceFactAttribute()
    {
        if (TestDatabase.RunProvider != DatabaseProvider.Sqlite)
        {
            Skip = "does not touch the configured database: runs once, in the SQLite half of tests/run";
        }
    }
}
