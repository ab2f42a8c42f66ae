using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;
using Paude.Sync.Continuous.Helper;

namespace Paude.SessionHelper.Tests;

/// <summary>
/// One real Podman session (agent image, stand-in agent <c>sleep infinity</c>, arbitrary UID) for the helper tests,
/// and the NativeAOT helper binary the host injects (helper/build.sh, cached). Everything carries the label
/// <c>paude.test=&lt;run id&gt;</c> and is deleted at the end.
/// </summary>
public sealed class PodmanHelperFixture : IAsyncLifetime
{
    public PodmanHelperFixture()
    {
        RunId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("podman", o => o.ExtraLabels["paude.test"] = RunId).AddPaudeSync();
        Services = services.BuildServiceProvider();
        Backend = Services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        Continuous = Services.GetRequiredService<IContinuousSync>();
        Session = SessionName.Parse($"sh{RunId}");
    }

    public string RunId { get; }

    public ServiceProvider Services { get; }

    public ISessionBackend Backend { get; }

    /// <summary>Continuous (two-way) sync over <see cref="Backend"/>.</summary>
    public IContinuousSync Continuous { get; }

    public SessionName Session { get; }

    public string Container => "paude-" + Session.Value;

    /// <summary>The AOT binary the host injects when the image lacks the helper.</summary>
    public string HelperBinary { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var built = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "helper", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(10));
        HelperBinary = built.EnsureSuccess("helper/build.sh").StandardOutput.Trim();
        await Backend.CreateAsync(new SessionSpec { Name = Session, AgentCommand = ["sleep", "infinity"], User = "1000680000:0" });
    }

    /// <summary>A fresh workspace folder in the session for one test.</summary>
    public async Task<string> WorkspaceAsync()
    {
        var dir = "/pvc/h-" + Guid.NewGuid().ToString("N")[..8];
        await ExecAsync("mkdir", "-p", dir);
        return dir;
    }

    public async Task<string> ExecAsync(params string[] argv)
    {
        var result = await Podman.RunAsync(["exec", Container, .. argv]);
        return result.EnsureSuccess(string.Join(' ', argv)).StandardOutput;
    }

    internal async Task<HelperClient> ConnectAsync(string workspace, HelperConnectionOptions? options = null)
    {
        var launcher = new SessionHelperLauncher(Backend, options ?? new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(20) }, HelperBinary);
        return await launcher.ConnectAsync(Session, workspace, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Backend.DeleteAsync(Session);
        await Services.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PodmanHelperGroup : ICollectionFixture<PodmanHelperFixture>
{
    public const string Name = "podman-helper";
}

/// <summary>
/// The soak alone, in a session of its own: it runs for a fixed minute (PAUDE_SOAK_SECONDS) that is mostly waiting, so
/// it overlaps the other helper tests instead of adding its minute to their serial run (CI: the assembly took 106 s,
/// 61 of them the soak, with nothing else of this collection running meanwhile).
/// </summary>
[CollectionDefinition(Name)]
public sealed class PodmanHelperSoakGroup : ICollectionFixture<PodmanHelperFixture>
{
    public const string Name = "podman-helper-soak";
}
