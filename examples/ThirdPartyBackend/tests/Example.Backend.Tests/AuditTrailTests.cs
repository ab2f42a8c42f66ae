using Paude.Conformance;
using Paude.Execution;

namespace Example.Backend.Tests;

/// <summary>The example backend's own feature, next to the suite that proves the rest.</summary>
public sealed class AuditTrailTests(AuditingConformanceFixture fixture) : IClassFixture<AuditingConformanceFixture>
{
    [Fact]
    public async Task Every_lifecycle_operation_is_on_the_trail_in_order()
    {
        var name = fixture.NewName("audit");

        await fixture.CreateAsync(fixture.Spec(name));
        await fixture.Backend.ExecAsync(name, ["true"]);
        await fixture.Backend.StopAsync(name);
        await fixture.Backend.DeleteAsync(name);

        Assert.Equal(
            [$"create {name.Value}", $"exec {name.Value}", $"stop {name.Value}", $"delete {name.Value}"],
            fixture.Audited.Trail.Where(t => t.EndsWith(" " + name.Value, StringComparison.Ordinal)));
    }
}
