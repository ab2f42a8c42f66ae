using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Conformance.Sync;
using Paude.Sessions;
using Paude.Sync;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>
/// The shared two-way scenarios on OpenShift sessions: the helper runs over one exec WebSocket of the Kubernetes API,
/// and losing the container means the pod is deleted and re-created by its StatefulSet.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class OpenShiftTwoWaySyncTests(KubeServerFixture fixture, ITestOutputHelper output)
    : TwoWaySyncConformanceTests(new OpenShiftTwoWaySessions(fixture), output);

/// <summary>
/// One session of its own for the two-way tests (the pod-deletion test must not disturb the shared one), created once
/// per run; the helper binary is the one helper/build.sh made from this tree (injected when the image's copy differs).
/// </summary>
internal sealed class OpenShiftTwoWaySessions(KubeServerFixture fixture) : TwoWaySessions
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SessionName? _session;
    private static string? _helper;

    public override ISessionBackend Backend => fixture.Backend;

    public override IContinuousSync Continuous => fixture.Continuous;

    public override string? HelperBinary => _helper;

    public override async Task<SessionName> SessionAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_helper is null)
            {
                var built = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "helper", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(10));
                _helper = built.EnsureSuccess("helper/build.sh").StandardOutput.Trim();
            }

            if (_session is null)
            {
                var name = fixture.NewName("twoway");
                await Backend.CreateAsync(fixture.Spec(name));
                _session = name;
            }
            else if (await Backend.GetAsync(_session.Value) is not { Status: SessionStatus.Running })
            {
                await Backend.StartAsync(_session.Value);
            }

            return _session.Value;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The pod is deleted; its StatefulSet re-creates it on the same volume.</summary>
    public override async Task LoseContainerAsync(SessionName session)
    {
        await fixture.KubectlAsync("delete", "pod", $"paude-{session.Value}-0", "--wait=true");
    }
}
