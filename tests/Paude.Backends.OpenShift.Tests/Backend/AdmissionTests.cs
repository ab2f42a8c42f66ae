using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;

namespace Paude.Backends.OpenShift.Tests.Backend;

[Collection(KubeServerCollection.Name)]
public sealed class AdmissionTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task A_pod_refused_by_restricted_v2_fails_fast_with_the_admission_message_and_rolls_everything_back()
    {
        // The server's second namespace gets the UID range 1000690000/10000: 1000680000 is outside it, so the SCC
        // refuses both pods and their controllers only record FailedCreate events (no pod ever appears to watch).
        var name = fixture.NewName("refused");
        var started = DateTimeOffset.UtcNow;

        var e = await Assert.ThrowsAsync<BackendOperationException>(() => fixture.Backend.CreateAsync(fixture.Spec(name) with { User = "1000680000:0" }));

        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromMinutes(1), $"did not fail fast: {DateTimeOffset.UtcNow - started}");
        Assert.Contains("cannot create its pod", e.Message, StringComparison.Ordinal);
        Assert.Contains("must be in the ranges", e.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }
}
