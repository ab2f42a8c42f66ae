using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>Shared plumbing of the Podman benchmarks: the real podman CLI and an SDK backend.</summary>
internal static class BenchPodman
{
    /// <summary>A short id that every resource of one benchmark run carries in its name, for cleanup.</summary>
    public static string NewRunId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public static (ServiceProvider Services, ISessionBackend Backend) CreateBackend(IList<string>? proxyNetworks = null)
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("podman", o =>
        {
            if (proxyNetworks is not null)
            {
                o.ProxyNetworks = proxyNetworks;
            }
        });
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<ISessionBackendProvider>().GetBackend("podman"));
    }

    /// <summary>Runs a program with an argument vector; optionally feeds <paramref name="stdin"/>. Throws on failure.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> args, Stream? stdin = null, CancellationToken ct = default)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (stdin is not null)
        {
            await stdin.CopyToAsync(process.StandardInput.BaseStream, ct);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }

    public static Task<string> PodmanAsync(params string[] args) => RunAsync("podman", args);

    /// <summary>A podman listing, retried: it fails when another user's resource is removed while podman reads it.</summary>
    private static async Task<string> ListAsync(params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PodmanAsync(args);
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                await Task.Delay(200 * attempt);
            }
        }
    }

    /// <summary>Removes containers, then networks, then volumes whose names contain <paramref name="runId"/> — nothing else.</summary>
    public static async Task RemoveContainingAsync(string runId)
    {
        static IEnumerable<string> Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var c in Lines(await ListAsync("ps", "-a", "--format", "{{.Names}}")).Where(n => n.Contains(runId, StringComparison.Ordinal)))
        {
            await PodmanAsync("rm", "-f", "-t", "0", c);
        }

        foreach (var n in Lines(await ListAsync("network", "ls", "--format", "{{.Name}}")).Where(n => n.Contains(runId, StringComparison.Ordinal)))
        {
            await PodmanAsync("network", "rm", "-f", n);
        }

        foreach (var v in Lines(await ListAsync("volume", "ls", "--format", "{{.Name}}")).Where(n => n.Contains(runId, StringComparison.Ordinal)))
        {
            await PodmanAsync("volume", "rm", "-f", v);
        }
    }
}
