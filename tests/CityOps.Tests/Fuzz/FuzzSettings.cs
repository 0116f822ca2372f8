using System.Globalization;

namespace CityOps.Tests.Fuzz;

/// <summary>
/// How much the fuzzer feeds and from which seed, from environment variables (docs/fuzzing.md):
/// <list type="bullet">
/// <item><c>CITYOPS_FUZZ_SEED</c>: the seed (default a fixed one, so every run feeds the same inputs);</item>
/// <item><c>CITYOPS_FUZZ_INPUTS</c>: generated inputs per family and database (default 800: what fits the
/// CI budget; the long run sets 10,000 or more);</item>
/// <item><c>CITYOPS_FUZZ_RAW</c>: generated malformed HTTP messages per database on the real socket (default 300);</item>
/// <item><c>CITYOPS_FUZZ_REPORT</c>: a file the summary lines are appended to (CI keeps it with its artefacts);</item>
/// <item><c>CITYOPS_FUZZ_ONLY</c>: <c>family</c> or <c>family:index</c>, to replay one family or one input;</item>
/// <item><c>CITYOPS_FUZZ_PARALLEL</c>: requests in flight at once.</item>
/// </list>
/// </summary>
public static class FuzzSettings
{
    public const ulong DefaultSeed = 20261125;

    /// <summary>Generated inputs per family and database in the default (CI) run; the known attacks come on top.</summary>
    public const int DefaultInputsPerFamily = 800;

    public static ulong Seed => Environment.GetEnvironmentVariable("CITYOPS_FUZZ_SEED") is { Length: > 0 } s
        ? ulong.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)
        : DefaultSeed;

    public static int InputsPerFamily => Environment.GetEnvironmentVariable("CITYOPS_FUZZ_INPUTS") is { Length: > 0 } s
        ? int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)
        : DefaultInputsPerFamily;

    public static int RawInputs => Environment.GetEnvironmentVariable("CITYOPS_FUZZ_RAW") is { Length: > 0 } s
        ? int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)
        : 300;

    public static int Parallel => Environment.GetEnvironmentVariable("CITYOPS_FUZZ_PARALLEL") is { Length: > 0 } s
        ? int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)
        : 6;

    public static string? ReportFile => Environment.GetEnvironmentVariable("CITYOPS_FUZZ_REPORT") is { Length: > 0 } s ? s : null;

    /// <summary>(family, index) to replay, or (family, null) for one family; null for all.</summary>
    public static (string Family, int? Index)? Only
    {
        get
        {
            if (Environment.GetEnvironmentVariable("CITYOPS_FUZZ_ONLY") is not { Length: > 0 } s) return null;
            var colon = s.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (s, null) : (s[..colon], int.Parse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The seed of one input: a pure function of the run's seed, the family and the index, so any input can be made again alone.</summary>
    public static ulong InputSeed(ulong seed, string family, int index)
    {
        var h = 14695981039346656037UL;
        foreach (var c in family) h = (h ^ c) * 1099511628211UL;
        return Mix(seed ^ Mix(h) ^ Mix((ulong)index + 0x9E3779B97F4A7C15UL));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static string ReplayHint(string family, int index) =>
        $"replay: CITYOPS_FUZZ_SEED={Seed} CITYOPS_FUZZ_ONLY={family}:{index} dotnet test --project tests/CityOps.Tests -- --filter-class \"CityOps.Tests.Fuzz.FuzzTests\"";
}
