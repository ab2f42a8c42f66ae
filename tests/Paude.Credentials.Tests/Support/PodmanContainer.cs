namespace Paude.Tests.Support;

/// <summary>
/// A real container for restore tests: named with a per-run prefix, labelled <c>paude.test=&lt;runid&gt;</c>,
/// running as an arbitrary UID in group 0 with a memory-backed <c>/credentials</c> (like the backends make it),
/// and removed by name and label on dispose. Nothing else on the machine is touched.
/// </summary>
internal sealed class PodmanContainer : IAsyncDisposable
{
    public const string User = "1000680000:0";
    public const string Image = "localhost/paude-base:ci";
    public static readonly string RunId = "credtest-" + Guid.NewGuid().ToString("N")[..8];
    private static int _counter;

    private PodmanContainer(string name) => Name = name;

    public string Name { get; }

    /// <summary>A handle on a container someone else created (e.g. a backend's session); dispose does not remove it.</summary>
    public static PodmanContainer Existing(string name) => new(name) { _owned = false };

    private bool _owned = true;

    public static string RestoreScript => Path.Join(RepositoryRoot.Path, "images/agent/bin/paude-restore-credentials");

    /// <summary>Starts the container; <paramref name="mounts"/> are host folders mounted read-only (host → container path).</summary>
    public static async Task<PodmanContainer> StartAsync(params (string Host, string Container)[] mounts)
    {
        var name = $"paude-{RunId}-{Interlocked.Increment(ref _counter)}";
        var argv = new List<string>
        {
            "podman", "run", "-d", "--init", "--name", name, "--label", "paude.test=" + RunId, "--user", User,
            "--tmpfs", "/credentials:rw,mode=0770", "-e", "HOME=/home/paude",
            "-v", RestoreScript + ":/usr/local/bin/paude-restore-credentials:ro",
        };
        foreach (var (host, target) in mounts)
        {
            argv.AddRange(["-v", $"{host}:{target}:ro"]);
        }

        argv.AddRange([Image, "sleep", "infinity"]);
        var container = new PodmanContainer(name);
        (await Run.ExecAsync(argv)).EnsureSuccess("podman run (is localhost/paude-base:ci built? run scripts/setup.sh)");
        return container;
    }

    public Task<Run.Result> ExecAsync(params string[] argv) => Run.ExecAsync(["podman", "exec", "--user", User, Name, .. argv]);

    public Task<Run.Result> ExecWithInputAsync(Func<Stream, Task> stdin, params string[] argv) =>
        Run.ExecAsync(["podman", "exec", "-i", "--user", User, Name, .. argv], stdin);

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await Run.ExecAsync("podman", "rm", "-f", "-t", "0", Name);
        }
    }

    /// <summary>Removes anything this run left behind, by label.</summary>
    public static async Task RemoveAllOfThisRunAsync()
    {
        var ids = await Run.ExecAsync("podman", "ps", "-aq", "--filter", "label=paude.test=" + RunId);
        foreach (var id in ids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await Run.ExecAsync("podman", "rm", "-f", "-t", "0", id);
        }
    }
}
