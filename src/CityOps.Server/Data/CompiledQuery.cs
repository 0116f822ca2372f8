using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Metadata;

namespace CityOps.Server.Data;

/// <summary>
/// A compiled query for each model it runs against: EF Core binds a compiled query to the model it
/// was first run with, and one process may hold models of both providers (the tests do).
/// </summary>
internal sealed class CompiledQuery<T>(Func<T> compile) where T : class
{
    private readonly ConditionalWeakTable<IModel, T> _byModel = new();

    public T For(CityOpsDb db) => _byModel.TryGetValue(db.Model, out var query) ? query : _byModel.GetValue(db.Model, _ => compile());
}
