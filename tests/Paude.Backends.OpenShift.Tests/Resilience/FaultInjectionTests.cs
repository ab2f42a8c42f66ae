using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Sessions;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Resilience;

[Collection(KubeServerCollectionB.Name)]
public sealed class FaultInjectionTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task With_a_fifth_of_api_calls_failing_create_stop_start_delete_still_succeed()
    {
        var name = fixture.NewName("faults");
        var before = fixture.Server.Faults.Injected;
        fixture.Server.Faults.Add(new FaultRule { StatusCode = 429, Probability = 0.1, RetryAfter = TimeSpan.FromMilliseconds(100) });
        fixture.Server.Faults.Add(new FaultRule { StatusCode = 500, Probability = 0.1 });
        try
        {
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.CreateAsync(fixture.Spec(name))).Status);
            Assert.Equal(SessionStatus.Stopped, (await fixture.Backend.StopAsync(name)).Status);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.StartAsync(name)).Status);
            Assert.True(await fixture.Backend.DeleteAsync(name));
            Assert.True(fixture.Server.Faults.Injected - before >= 10, $"only {fixture.Server.Faults.Injected - before} faults fired");
        }
        finally
        {
            fixture.Server.Faults.Clear();
            await fixture.Backend.DeleteAsync(name);
        }

        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }
}
