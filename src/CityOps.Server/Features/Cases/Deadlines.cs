using CityOps.Server.Features.Categories;
using CityOps.Server.Infrastructure;

namespace CityOps.Server.Features.Cases;

/// <summary>Time-limit wording; the calendar arithmetic itself lives with the workflow.</summary>
public static class Deadlines
{
    public static string Describe(int value, TimeLimitUnit unit) => Messages.Format("Limit" + unit, value);
}
