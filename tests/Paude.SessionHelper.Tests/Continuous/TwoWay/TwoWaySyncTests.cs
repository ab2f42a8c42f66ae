using Paude.Conformance.Sync;
using Paude.Sessions;
using Paude.Sync;
using Xunit.Abstractions;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>The shared two-way scenarios (<see cref="TwoWaySyncConformanceTests"/>) on a real Podman session.</summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWaySyncTests(PodmanHelperFixture fixture, ITestOutputHelper output)
    : TwoWaySyncConformanceTests(new PodmanTwoWaySessions(fixture), output);

/// <summary>The fixture's session; the helper binary is the one helper/build.sh made from this tree.</summary>
internal sealed class PodmanTwoWaySessions(PodmanHelperFixture fixture) : TwoWaySessions
{
    public override ISessionBackend Backend => fixture.Backend;

    public override string? BackendName => "podman";

    public override IContinuousSync Continuous => fixture.Continuous;

    public override string? HelperBinary => fixture.HelperBinary;

    public override Task<SessionName> SessionAsync() => Task.FromResult(fixture.Session);

    /// <summary>The container is killed (every exec in it dies) and started again; the /pvc volume stays.</summary>
    public override async Task LoseContainerAsync(SessionName session)
    {
        (await Podman.RunAsync(["kill", fixture.Container])).EnsureSuccess("podman kill");
        await Backend.StartAsync(session);
    }
}
