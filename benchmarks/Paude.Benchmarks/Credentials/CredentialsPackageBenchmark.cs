using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Paude.Benchmarks.Harness;
using Paude.Credentials;

namespace Paude.Benchmarks.Credentials;

/// <summary>
/// <c>credentials-package</c>: packaging a 20 MB / 2,000-file tree through <see cref="ICredentialPackager"/>
/// (hashing every file, manifests) against <c>tar -c</c> of the same tree, both into a file. The pass/fail
/// ratio is the process's peak memory growth during one packaging ÷ the 32 MB streaming budget (VmHWM after
/// resetting it through /proc/self/clear_refs); the time ratio is reported as a row.
/// </summary>
public sealed class CredentialsPackageBenchmark : IBenchmark
{
    private const double MemoryBudgetMb = 32;

    /// <inheritdoc />
    public string Id => "credentials-package";

    /// <inheritdoc />
    public string Description => "package a 20 MB / 2,000-file tree vs tar -c; ratio = peak memory growth / 32 MB";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tree = Path.Join(context.WorkDirectory, "credentials-tree");
        var (files, bytes) = CreateTree(tree);
        var services = new ServiceCollection();
        services.AddSingleton<ICredentialSource>(new TreeSource(tree));
        services.AddPaude().AddPaudeCredentials(o => o.ClaudeConfigDirectory = Path.Join(context.WorkDirectory, "no-claude"));
        await using var provider = services.BuildServiceProvider();
        var packager = provider.GetRequiredService<ICredentialPackager>();
        var sdkOut = Path.Join(context.WorkDirectory, "credentials-sdk.tar");
        var tarOut = Path.Join(context.WorkDirectory, "credentials-tar.tar");

        async Task PackageAsync()
        {
            await using var output = new FileStream(sdkOut, FileMode.Create, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            await packager.WritePackageAsync(["tree"], output, cancellationToken).ConfigureAwait(false);
        }

        await PackageAsync().ConfigureAwait(false); // warm-up (JIT, page cache)
        var peakMb = await PeakGrowthMbAsync(PackageAsync).ConfigureAwait(false);
        var (sdk, baseline) = await Measure.AlternateAsync(
            context.Iterations,
            _ => PackageAsync(),
            _ => RunTarAsync(tree, tarOut, cancellationToken)).ConfigureAwait(false);
        var sdkMs = Measure.Median(sdk);
        var tarMs = Measure.Median(baseline);
        return new BenchmarkReport(
            Id,
            [
                ("files in tree", files),
                ("MB in tree", bytes / 1024.0 / 1024.0),
                ("sdk package median ms", sdkMs),
                ("tar -c median ms", tarMs),
                ("time ratio sdk/tar", sdkMs / tarMs),
                ("sdk archive MB", new FileInfo(sdkOut).Length / 1024.0 / 1024.0),
                ("peak RSS growth MB (budget 32)", peakMb),
            ],
            peakMb / MemoryBudgetMb,
            1.0);
    }

    private static async Task<double> PeakGrowthMbAsync(Func<Task> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await File.WriteAllTextAsync("/proc/self/clear_refs", "5").ConfigureAwait(false); // resets VmHWM to the current RSS
        var before = ReadStatusKb("VmRSS");
        await work().ConfigureAwait(false);
        var peak = ReadStatusKb("VmHWM");
        return (peak - before) / 1024.0;
    }

    private static long ReadStatusKb(string key)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static async Task RunTarAsync(string tree, string output, CancellationToken ct)
    {
        var start = new ProcessStartInfo("tar") { ArgumentList = { "-cf", output, "-C", tree, "." }, UseShellExecute = false };
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tar -c failed with {process.ExitCode}");
        }
    }

    /// <summary>20 binaries of 512 KiB + 1,980 files of 1–9 KiB in 40 folders ≈ 20 MB, 2,000 files.</summary>
    private static (int Files, long Bytes) CreateTree(string root)
    {
        var random = new Random(7);
        long bytes = 0;
        var files = 0;
        for (var i = 0; i < 2000; i++)
        {
            var dir = Path.Join(root, "plugins", $"p{i % 40:D2}", i < 20 ? "bin" : "lib");
            Directory.CreateDirectory(dir);
            var data = new byte[i < 20 ? 512 * 1024 : 1024 + random.Next(8 * 1024)];
            random.NextBytes(data);
            var path = Path.Join(dir, $"f{i:D4}" + (i < 20 ? string.Empty : ".dat"));
            File.WriteAllBytes(path, data);
            if (i < 20 && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
            }

            bytes += data.Length;
            files++;
        }

        return (files, bytes);
    }

    private sealed class TreeSource(string tree) : ICredentialSource
    {
        public string Name => "tree";

        public Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<CredentialItem>>([CredentialItem.FromDirectory("tree", tree)]);
    }
}
