using System.Globalization;
using System.Text;
using CityOps.Bench;

// CityOps benchmarks. Subcommands:
//   routing                          point → cell → unit, one thread, in-process
//   intake --pg "<conn>" [...]       Open311 intake against a real server + PostgreSQL, with a pgbench baseline
//   all --pg "<conn>" [--write docs/benchmarks.md]
// Run with -c Release: dotnet run -c Release --project bench/CityOps.Bench -- all --pg "Host=127.0.0.1;Port=55432;Username=postgres"

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.OutputEncoding = Encoding.UTF8;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    await Console.Error.WriteLineAsync(BenchOptions.Usage);
    return 2;
}

#if DEBUG
await Console.Error.WriteLineAsync("warning: this is a Debug build; run with -c Release for meaningful numbers.");
#endif

var machine = MachineInfo.Collect();
Log.Info($"machine: {machine.Summary}");

RoutingResult? routing = null;
IntakeResult? intake = null;
try
{
    if (options.Command is "routing" or "all")
    {
        routing = RoutingBench.Run(options);
        if (options.Command == "routing") Console.WriteLine(Markdown.Document(machine, options, routing, null));
    }
    if (options.Command is "intake" or "all")
    {
        intake = await IntakeBench.RunAsync(options);
        if (options.Command == "intake") Console.WriteLine(Markdown.Document(machine, options, null, intake));
    }
}
catch (BenchException ex)
{
    await Console.Error.WriteLineAsync("benchmark failed: " + ex.Message);
    return 1;
}

if (options.Command == "all")
{
    var doc = Markdown.Document(machine, options, routing, intake);
    Console.WriteLine(doc);
    if (options.WritePath is { } path)
    {
        Markdown.WriteFile(path, doc);
        Log.Info($"wrote {Path.GetFullPath(path)}");
    }
}
return 0;
