using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace ResistanceBot.Storage;

/// <summary>
/// A query of every update compiled once per model, which spares EF's parameter extraction and cache lookup on each run. EF
/// refuses a compiled query on a model other than the one it first ran on, and each provider (and each bot host in the tests)
/// has its own model, so the compiled delegate is kept per model.
/// </summary>
/// <typeparam name="TDelegate">The delegate <see cref="EF.CompileAsyncQuery{TContext, TParam1, TResult}(System.Linq.Expressions.Expression{Func{TContext, TParam1, CancellationToken, TResult}})"/> returns.</typeparam>
internal sealed class CompiledQuery<TDelegate>(Func<TDelegate> compile)
    where TDelegate : class
{
    private readonly ConditionalWeakTable<IModel, TDelegate> _byModel = [];

    public TDelegate For(DbContext db) => _byModel.GetValue(db.Model, _ => compile());
}
