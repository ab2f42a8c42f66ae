using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.TestSupport;

namespace Paude.Backends.OpenShift.Tests.Sandbox;

/// <summary>
/// Two sessions never share an object name, destructive actions remove only what carries the session's label, and
/// an expected failure (the name exists) is one quiet line.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class SessionIsolationTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task Sessions_s_and_proxy_s_coexist_and_deleting_one_leaves_the_other_intact()
    {
        var s = fixture.NewName("iso");
        var proxyS = SessionName.Parse($"proxy-{s.Value}");
        try
        {
            await fixture.Backend.CreateAsync(fixture.Spec(s));
            var objectsOfS = await fixture.SessionObjectsAsync(s);

            // Deleting a session that does not exist but whose derived names were once another's proxy: nothing goes.
            Assert.False(await fixture.Backend.DeleteAsync(proxyS));
            Assert.Equal(objectsOfS, await fixture.SessionObjectsAsync(s));

            await fixture.Backend.CreateAsync(fixture.Spec(proxyS));
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(s))!.Status);
            Assert.True(await fixture.Backend.DeleteAsync(proxyS));

            Assert.Equal(objectsOfS, await fixture.SessionObjectsAsync(s));
            Assert.Empty(await fixture.SessionObjectsAsync(proxyS));
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(s))!.Status);
            await using var process = await fixture.Backend.StartProcessAsync(s, new ProcessSpec(["true"]));
            Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(proxyS);
            await fixture.Backend.DeleteAsync(s);
        }
    }

    [Fact]
    public async Task Delete_leaves_an_object_with_the_sessions_name_but_another_label_alone()
    {
        var s = fixture.NewName("foreign");
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var foreign = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = $"proxy-paude-{s.Value}", Labels = new Dictionary<string, string> { ["paude.io/session-name"] = "someone-else" } },
            Data = new Dictionary<string, string> { ["keep"] = "me" },
        };
        await client.CoreV1.CreateNamespacedConfigMapAsync(foreign, KubeServerFixture.Namespace);
        try
        {
            Assert.False(await fixture.Backend.DeleteAsync(s));
            Assert.Equal("me", (await client.CoreV1.ReadNamespacedConfigMapAsync(foreign.Metadata.Name, KubeServerFixture.Namespace)).Data["keep"]);
        }
        finally
        {
            await client.CoreV1.DeleteNamespacedConfigMapAsync(foreign.Metadata.Name, KubeServerFixture.Namespace);
        }
    }

    [Fact]
    public async Task Create_over_a_name_in_use_is_one_quiet_line_and_changes_nothing()
    {
        var s = fixture.NewName("quiet");
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var leftover = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = $"proxy-paude-{s.Value}", Labels = new Dictionary<string, string> { ["app"] = "paude", ["paude.io/session-name"] = s.Value } },
            Data = new Dictionary<string, string> { ["keep"] = "me" },
        };
        await client.CoreV1.CreateNamespacedConfigMapAsync(leftover, KubeServerFixture.Namespace);
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = fixture.Server.KubeconfigPath;
            o.Namespace = KubeServerFixture.Namespace;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        });
        await using var sp = services.BuildServiceProvider();
        var backend = sp.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        try
        {
            await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => backend.CreateAsync(fixture.Spec(s)));

            Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal));
            Assert.DoesNotContain("removing what was created", logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", logs.AllText, StringComparison.Ordinal);
            Assert.Single(logs.Lines, l => l.Contains("already exists", StringComparison.Ordinal));
            Assert.Equal("me", (await client.CoreV1.ReadNamespacedConfigMapAsync(leftover.Metadata.Name, KubeServerFixture.Namespace)).Data["keep"]);
            Assert.Equal([$"configmap/{leftover.Metadata.Name}"], await fixture.SessionObjectsAsync(s));
        }
        finally
        {
            await client.CoreV1.DeleteNamespacedConfigMapAsync(leftover.Metadata.Name, KubeServerFixture.Namespace);
        }
    }
}
