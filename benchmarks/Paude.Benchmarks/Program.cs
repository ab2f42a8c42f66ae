using System.Globalization;
using Paude.Benchmarks.Harness;

// Usage: dotnet run -c Release --project benchmarks/Paude.Benchmarks -- [id ...] [--iterations N]
// Runs every benchmark (or the named ones) side by side with its baseline and prints ratios.
var iterations = 7;
var ids = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--iterations" && i + 1 < args.Length)
    {
        iterations = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else
    {
        ids.Add(args[i]);
    }
}

var all = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(t))
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Id, StringComparer.Ordinal)
    .ToList();
var selected = ids.Count == 0 ? all : all.Where(b => ids.Contains(b.Id)).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"No benchmark matches. Known: {string.Join(", ", all.Select(b => b.Id))}");
    return 2;
}

var work = Directory.CreateTempSubdirectory("paude-bench-").FullName;
var failed = 0;
foreach (var benchmark in selected)
{
    Console.WriteLine($"== {benchmark.Id}: {benchmark.Description}");
    var report = await benchmark.RunAsync(new BenchmarkContext(iterations, work), CancellationToken.None);
    foreach (var (name, value) in report.Rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {name,-40} {value,12:F1}"));
    }

    if (report.Ratio is { } ratio)
    {
        var verdict = report.MeetsTarget ? "meets" : "MISSES";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   ratio {ratio:F2} ({verdict} target {report.Target:F2})"));
    }

    failed += report.MeetsTarget ? 0 : 1;
}

Directory.Delete(work, recursive: true);
return failed == 0 ? 0 : 1;
