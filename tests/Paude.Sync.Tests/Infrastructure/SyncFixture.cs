using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance.Sync;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Tests.Infrastructure;

/// <summary>
/// Real Podman containers from the agent image, shared by all sync tests (each exec costs ~130 ms and the machine
/// has 2 cores): every test uses its own workspace folder inside them. Containers carry a per-run name prefix and
/// the label <c>paude.test=&lt;run id&gt;</c>; only those are removed at the end.
/// </summary>
public sealed class SyncFixture : SyncSessions, IAsyncLifetime
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
    public override ISessionBackend Backend { get; }

    public ServiceProvider Services { get; }

    public override ISessionSync Sync { get; }

    /// <summary>
    /// Creates (once per run) the session behind the logical name <paramref name="name"/>: a real Podman session
    /// (agent + proxy, workspace volume) named <c>st&lt;run id&gt;-&lt;name&gt;</c>, running as 1000680000:0 with a
    /// stand-in agent (<c>sleep infinity</c>).
    /// </summary>
    public override async Task<SessionName> SessionAsync(string name)
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
    public override async Task<string> ExecAsync(SessionName session, params string[] argv)
    {
        var result = await Podman.RunAsync(["exec", Container(session), .. argv]);
        return result.EnsureSuccess(string.Join(' ', argv)).StandardOutput;
    }

    /// <summary>Runs a command in a session container as root (to plant hostile programs in a dedicated container).</summary>
    public override async Task ExecAsRootAsync(SessionName session, Stream? stdin, params string[] argv)
    {
        var result = await Podman.RunAsync(["exec", .. stdin is null ? Array.Empty<string>() : ["-i"], "--user", "0", Container(session), .. argv], stdin);
        result.EnsureSuccess(string.Join(' ', argv));
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
            var list = await Podman.LinesAsync([kind == "container" ? "ps" : kind, .. kind == "container" ? new[] { "-a", "-q" } : ["ls", "-q"], "--filter", $"label=paude.test={RunId}"]);
            if (list.Length > 0)
            {
                await Podman.RunAsync(kind == "container" ? ["rm", "-f", "-t", "0", .. list] : [kind, "rm", "-f", .. list]);
            }
        }

        await Services.DisposeAsync();
    }
}

/// <summary>
/// The sync tests run in three collections side by side (<see cref="SyncCollectionsFirst"/>). Each collection has a
/// <see cref="SyncFixture"/> of its own, so its own containers: tests that share a container (the logical sessions s1,
/// s2, s3 …) run one after another, as they must (pausers find the receiver by name with <c>pgrep</c>, planted programs
/// replace the session's <c>tar</c>, <c>git-upload-pack</c> or helper, a session is stopped and upgraded), and no test
/// touches a container of another collection. Host state is per test (its own repository folders). The split is by
/// measured time (one collection took ~8 min under CI load); a name may be used in two collections and is then two
/// containers.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SyncGroup : ICollectionFixture<SyncFixture>
{
    public const string Name = "sync";
}

/// <summary>The second busy collection (see <see cref="SyncGroup"/>): pushes, fetches, continuous sync.</summary>
[CollectionDefinition(Name)]
public sealed class SyncGroupB : ICollectionFixture<SyncFixture>
{
    public const string Name = "sync-b";
}

/// <summary>
/// The stalled-session tests (see <see cref="SyncGroup"/>): they mostly wait for an idle timeout, so they run beside
/// the two busy collections instead of after one of them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SyncStallGroup : ICollectionFixture<SyncFixture>
{
    public const string Name = "sync-stall";
}
