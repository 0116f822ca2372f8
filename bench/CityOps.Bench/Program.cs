using System.Globalization;
using System.Text;
using CityOps.Bench;

// CityOps benchmarks. Subcommands:
//   routing                          point → cell → unit, one thread, in-process
//   intake --pg "<conn>" [...]       Open311 intake against a real server + PostgreSQL, with a pgbench baseline
//   calendar                         WorkCalendar.Add in working hours, one thread, against a naive day-by-day walk
//   sweep --pg "<conn>" [...]        DeadlineSweeper.FindDueAsync over 100,000 open cases in PostgreSQL
//   loop --pg "<conn>" [...]         the closed loop (report → callback, 8 moves a case) over HTTP on a real server
//   evaluation --pg "<conn>" [...]   a year (or ten) of case records scored for every unit, area and person; the workbook over HTTP
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

var results = new BenchResults();
var only = options.Command != "all";
try
{
    if (options.Command is "routing" or "all") results.Routing = RoutingBench.Run(options);
    if (options.Command is "intake" or "all") results.Intake = await IntakeBench.RunAsync(options);
    if (options.Command is "calendar" or "all") results.Calendar = CalendarBench.Run(options);
    if (options.Command is "sweep" or "all") results.Sweep = await SweepBench.RunAsync(options);
    if (options.Command is "loop" or "all") results.Loop = await LoopBench.RunAsync(options);
    if (options.Command is "evaluation" or "all") results.Evaluation = await EvaluationBench.RunAsync(options);
}
catch (BenchException ex)
{
    await Console.Error.WriteLineAsync("benchmark failed: " + ex.Message);
    return 1;
}

var doc = Markdown.Document(machine, options, results);
Console.WriteLine(doc);
if (!only && options.WritePath is { } path)
{
    Markdown.WriteFile(path, doc);
    Log.Info($"wrote {Path.GetFullPath(path)}");
}
return 0;
