using System.Diagnostics;
using System.Security.Cryptography;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>
/// Identifies this test run: every session a test creates is named <c>clit-&lt;run&gt;-...</c>, so cleanup can find
/// exactly ours (other engineers run Podman tests on the same machine at the same time).
/// </summary>
internal static class TestRun
{
    public static string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public static string Prefix { get; } = $"clit-{Id}-";

    private static int _counter;

    /// <summary>A fresh session name of this run.</summary>
    public static string NewSessionName(string purpose) => $"{Prefix}{purpose}-{Interlocked.Increment(ref _counter)}";

    /// <summary>A temporary git repository with one commit (real git).</summary>
    public static string NewGitWorkspace(string purpose)
    {
        var dir = Directory.CreateTempSubdirectory($"paude-cli-{purpose}-").FullName;
        Git(dir, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(dir, "README.md"), "# test workspace\n");
        Git(dir, "add", "README.md");
        Git(dir, "-c", "user.name=Test", "-c", "user.email=test@paude.invalid", "commit", "-q", "-m", "Initial commit");
        return dir;
    }

    public static string Git(string dir, params string[] args) => Run("git", ["-C", dir, .. args]);

    /// <summary>Runs a host program and returns its stdout; a failure fails the test with its stderr.</summary>
    public static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr}");
        }

        return stdout.Result;
    }

    /// <summary>
    /// Sends SIGINT (what Ctrl+C sends) to <paramref name="pid"/>. A test host started in the background without job
    /// control (<c>cmd &amp;</c> in a script) ignores SIGINT, and so do the CLI processes it starts — rightly, as with
    /// nohup — so that is reported at once instead of as a CLI that never exits.
    /// </summary>
    public static void Interrupt(int pid)
    {
        var ignored = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16);
        Assert.True((mask & 0b10) == 0, "This test host ignores SIGINT (started in the background by a shell without job control), so every process it starts does too: run the tests in the foreground or under 'set -m'.");
        Run("kill", "-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every Podman container, volume and network that carries the session's name label (or network name).</summary>
    public static async Task<IReadOnlyList<string>> PodmanLeftoversAsync(string session)
    {
        var filter = $"label=paude.io/session-name={session}";
        return
        [
            .. await Podman.LinesAsync("ps", "-a", "--filter", filter, "--format", "container {{.Names}}"),
            .. await Podman.LinesAsync("volume", "ls", "--filter", filter, "--format", "volume {{.Name}}"),
            .. await Podman.LinesAsync("network", "ls", "--filter", $"name=^paude-{session}\\.net$", "--format", "network {{.Name}}"),
        ];
    }
}
