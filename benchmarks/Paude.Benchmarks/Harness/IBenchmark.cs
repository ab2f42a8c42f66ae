namespace Paude.Benchmarks.Harness;

/// <summary>
/// One side-by-side benchmark: the SDK and its baseline run alternately in the same process and the report
/// gives medians and the ratio. Implementations are discovered by reflection, so each area adds its own file.
/// </summary>
public interface IBenchmark
{
    /// <summary>Short id used on the command line (e.g. <c>podman-create</c>).</summary>
    string Id { get; }

    /// <summary>What is compared, for the report.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark and returns its report lines.</summary>
    Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

/// <summary>Settings shared by all benchmarks.</summary>
/// <param name="Iterations">Measured iterations of each side.</param>
/// <param name="WorkDirectory">A scratch folder for this run.</param>
public sealed record BenchmarkContext(int Iterations, string WorkDirectory);

/// <summary>The outcome of one benchmark.</summary>
/// <param name="Id">The benchmark id.</param>
/// <param name="Rows">Named measurements (e.g. "sdk median ms" → 412).</param>
/// <param name="Ratio">SDK ÷ baseline (lower is better), if the benchmark has one.</param>
/// <param name="Target">The target the ratio must meet, if any.</param>
public sealed record BenchmarkReport(string Id, IReadOnlyList<(string Name, double Value)> Rows, double? Ratio, double? Target)
{
    /// <summary>Whether the ratio meets the target (true when there is no target).</summary>
    public bool MeetsTarget => Ratio is null || Target is null || Ratio <= Target;
}
