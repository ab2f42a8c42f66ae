using Microsoft.Extensions.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Tests.Infrastructure;

/// <summary>
/// Real Podman containers from the agent image, shared by all sync tests (each exec costs ~130 ms and the machine
/// has 2 cores): every test uses its own workspace folder inside them. Containers carry a per-run name prefix and
/// the label <c>paude.test=&lt;run id&gt;</c>; only those are removed at the end.
/// </summary>
public sealed class SyncFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _started = [];

    public SyncFixture()
    {
        RunId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var services = new ServiceCollection();
        services.AddPaude()
            .AddPodmanBackend("podman", o => o.ExtraLabels["paude.test"] = RunId)
            .AddPaudeSync();
        Services = services.BuildServiceProvider();
        Backend = Services.GetRequiredService<Paude.DependencyInjection.ISessionBackendProvider>().GetBackend("podman");
        Sync = Services.GetRequiredService<ISessionSync>();
    }

    public string RunId { get; }

    /// <summary>The real Podman backend (sessions as the SDK creates them).</summary>
    public ISessionBackend Backend { get; }

    public ServiceProvider Services { get; }

    public ISessionSync Sync { get; }

    /// <summary>
    /// Creates (once per run) the session behind the logical name <paramref name="name"/>: a real Podman session
    /// (agent + proxy, workspace volume) named <c>st&lt;run id&gt;-&lt;name&gt;</c>, running as 1000680000:0 with a
    /// stand-in agent (<c>sleep infinity</c>).
    /// </summary>
    public async Task<SessionName> SessionAsync(string name)
    {
        var session = SessionName.Parse($"st{RunId}-{name}");
        await _gate.WaitAsync();
        try
        {
            if (_started.Add(name))
            {
                await Backend.CreateAsync(new SessionSpec
                {
                    Name = session,
                    AgentCommand = ["sleep", "infinity"],
                    User = "1000680000:0",
                });
            }
        }
        finally
        {
            _gate.Release();
        }

        return session;
    }

    /// <summary>The agent container of a session (contract: <c>paude-&lt;name&gt;</c>).</summary>
    public static string Container(SessionName session) => "paude-" + session.Value;

    /// <summary>Runs a command in a session container (test set-up and checks), failing on a non-zero exit.</summary>
    public async Task<string> ExecAsync(SessionName session, params string[] argv)
    {
        var result = await ProcessRunner.RunAsync("podman", ["exec", Container(session), .. argv]);
        return result.EnsureSuccess(string.Join(' ', argv)).StandardOutput;
    }

    /// <summary>Runs a command in a session container as root (to plant hostile programs in a dedicated container).</summary>
    public async Task ExecAsRootAsync(SessionName session, Stream? stdin, params string[] argv)
    {
        var result = await ProcessRunner.RunAsync("podman", ["exec", .. stdin is null ? Array.Empty<string>() : ["-i"], "--user", "0", Container(session), .. argv], stdin);
        result.EnsureSuccess(string.Join(' ', argv));
    }

    /// <summary>Runs git in a session workspace as an agent would (with an identity).</summary>
    public Task<string> GitAsync(SessionName session, string workspace, params string[] args) =>
        ExecAsync(session, ["git", "-C", workspace, "-c", "user.name=Agent", "-c", "user.email=agent@example.com", .. args]);

    /// <summary>Writes a file in a session workspace (content passed as an argument, not through a shell string).</summary>
    public Task WriteAsync(SessionName session, string workspace, string path, string content) =>
        ExecAsync(session, "bash", "-c", "mkdir -p -- \"$(dirname -- \"$1/$2\")\" && printf '%s' \"$3\" > \"$1/$2\"", "bash", workspace, path, content);

    /// <summary>Commits a change in the session: writes <paramref name="path"/> and commits it.</summary>
    public async Task<string> CommitAsync(SessionName session, string workspace, string path, string content, string message)
    {
        await WriteAsync(session, workspace, path, content);
        await GitAsync(session, workspace, "add", "-A");
        await GitAsync(session, workspace, "commit", "-q", "-m", message);
        return (await GitAsync(session, workspace, "rev-parse", "HEAD")).Trim();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in _started)
        {
            await Backend.DeleteAsync(SessionName.Parse($"st{RunId}-{name}"));
        }

        // Anything a failed create left behind carries this run's label.
        foreach (var kind in new[] { "container", "volume", "network" })
        {
            var ids = await ProcessRunner.RunAsync("podman", [kind == "container" ? "ps" : kind, .. kind == "container" ? new[] { "-a", "-q" } : ["ls", "-q"], "--filter", $"label=paude.test={RunId}"]);
            var list = ids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (list.Length > 0)
            {
                await ProcessRunner.RunAsync("podman", kind == "container" ? ["rm", "-f", "-t", "0", .. list] : [kind, "rm", "-f", .. list]);
            }
        }

        await Services.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SyncGroup : ICollectionFixture<SyncFixture>
{
    public const string Name = "sync";
}
