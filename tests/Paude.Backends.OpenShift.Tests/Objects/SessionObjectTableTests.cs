using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Objects;
using Paude.Backends.OpenShift.Tests.Credentials;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Objects;

/// <summary>
/// The table of a session's objects (<see cref="SessionObjects"/>) against what the cluster really holds: every object
/// carrying the session's labels, of every kind the API serves, is of a kind in the table, every named row exists, and
/// nothing is left after delete.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class SessionObjectTableTests(KubeServerFixture fixture) : IDisposable
{
    private readonly CapturingLoggerProvider _logs = new();
    private readonly FakeClaudeHome _home = new();

    public void Dispose()
    {
        _home.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Every_object_a_session_has_is_in_the_table_and_gone_after_delete()
    {
        await using var services = CredentialServices.Build(fixture, _home, _logs);
        var backend = services.Backend();
        var name = fixture.NewName("table");
        try
        {
            // With credentials, so the part Secrets exist too.
            await backend.CreateAsync(fixture.Spec(name) with { Credentials = ["claude"] });

            // And a sync's Lease, as a sync that is running (or was killed) leaves it while the session is deleted.
            var held = await ((ISessionSyncExclusion)backend).HoldForSyncAsync(name, TimeSpan.Zero);
            var objects = await EverySessionObjectAsync(name);

            var tableKinds = SessionObjects.Kinds.Select(k => k.Name.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
            Assert.All(objects, o => Assert.Contains(KindOf(o), tableKinds));
            foreach (var row in SessionObjects.All)
            {
                var kind = row.Kind.Name.ToLowerInvariant();
                Assert.Contains(objects, o => KindOf(o) == kind && (row.Name is null || NameOf(o) == row.Name(name)));
            }

            Assert.True(await backend.DeleteAsync(name));
            Assert.Empty(await EverySessionObjectAsync(name));
            await held.DisposeAsync(); // its release finds the Lease gone and re-creates nothing
            Assert.Empty(await EverySessionObjectAsync(name));
        }
        finally
        {
            await backend.DeleteAsync(name);
        }
    }

    /// <summary>Every object with the session's label, of every namespaced kind the server lists (kubectl discovery).</summary>
    private async Task<List<string>> EverySessionObjectAsync(SessionName name)
    {
        var kinds = (await fixture.KubectlAsync("api-resources", "--verbs=list", "--namespaced", "-o", "name"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("pods", kinds);
        Assert.Contains("replicasets.apps", kinds);
        var output = await fixture.KubectlAsync("get", string.Join(',', kinds), "-l", $"{SessionLabelKeys.SessionName}={name.Value}", "-o", "name");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary><c>statefulset.apps/paude-x</c> → <c>statefulset</c>.</summary>
    private static string KindOf(string kubectlName) => kubectlName.Split('/')[0].Split('.')[0];

    private static string NameOf(string kubectlName) => kubectlName.Split('/')[1];
}
