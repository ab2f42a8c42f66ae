using System.Collections.Concurrent;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Conformance.Sync;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>
/// OpenShift sessions on the Kubernetes test server for the shared sync scenarios. "s1" is the collection's shared
/// session; every other logical name gets its own session, created once per run and kept for the run.
/// </summary>
internal sealed class OpenShiftSyncSessions(KubeServerFixture fixture) : SyncSessions
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<SessionName>>> Created = new(StringComparer.Ordinal);

    public override ISessionBackend Backend => fixture.Backend;

    public override ISessionSync Sync => fixture.Sync;

    public override async Task<SessionName> SessionAsync(string name)
    {
        if (name == "s1")
        {
            return await SharedSession.GetAsync(fixture);
        }

        var session = await Created.GetOrAdd(name, n => new Lazy<Task<SessionName>>(() => CreateAsync(n))).Value;
        if (await Backend.GetAsync(session) is not { Status: SessionStatus.Running })
        {
            await Backend.StartAsync(session); // a lifecycle test may have stopped the pods meanwhile
        }

        return session;
    }

    /// <summary>
    /// As root through the pod's real Podman container: the exec API has no user switch (an attacker with root in the
    /// session is what the hostile scenarios stand for).
    /// </summary>
    public override async Task ExecAsRootAsync(SessionName session, Stream? stdin, params string[] argv)
    {
        var ids = await Podman.RunAsync(["ps", "-q", "--filter", $"label=paude.kubetest.pod={KubeServerFixture.Namespace}/paude-{session.Value}-0"]);
        var container = Assert.Single(ids.EnsureSuccess("podman ps").StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var result = await Podman.RunAsync(["exec", .. stdin is null ? Array.Empty<string>() : ["-i"], "--user", "0", container, .. argv], stdin);
        result.EnsureSuccess(string.Join(' ', argv));
    }

    private async Task<SessionName> CreateAsync(string name)
    {
        var session = fixture.NewName("sync-" + name);
        await Backend.CreateAsync(fixture.Spec(session));
        return session;
    }
}
