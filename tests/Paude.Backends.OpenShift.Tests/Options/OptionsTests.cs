using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.DependencyInjection;

namespace Paude.Backends.OpenShift.Tests.Options;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_valid() => Assert.Empty(new OpenShiftBackendOptions().GetErrors());

    [Fact]
    public void Every_problem_is_reported_together()
    {
        var options = new OpenShiftBackendOptions
        {
            KubeconfigPath = "/nonexistent/kubeconfig",
            Namespace = "Bad_NS",
            StorageSize = "ten gigs",
            ImagePullPolicy = "Sometimes",
            AgentImage = " ",
            RunAsUser = 0,
            ReadyTimeout = TimeSpan.Zero,
            ProxyResources = new ContainerResources("lots", null, null, null),
            MaxRetries = -1,
        };
        var errors = options.GetErrors();
        Assert.Contains(errors, e => e.StartsWith("KubeconfigPath:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Namespace:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("StorageSize:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ImagePullPolicy:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AgentImage:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RunAsUser:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ReadyTimeout:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ProxyResources.CpuRequest:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MaxRetries:", StringComparison.Ordinal));
        Assert.Equal(9, errors.Count);
    }

    [Fact]
    public void In_cluster_cannot_be_combined_with_a_context() =>
        Assert.Contains(new OpenShiftBackendOptions { InCluster = true, Context = "x" }.GetErrors(), e => e.StartsWith("InCluster:", StringComparison.Ordinal));

    [Fact]
    public void Registration_is_idempotent_and_named()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddOpenShiftBackend().AddOpenShiftBackend(configure: o => o.Namespace = "team-a");
        services.AddPaude().AddOpenShiftBackend("other");
        using var sp = services.BuildServiceProvider();
        Assert.Equal(["openshift", "other"], sp.GetRequiredService<ISessionBackendProvider>().Names);
        Assert.Equal("team-a", sp.GetRequiredService<IOptionsMonitor<OpenShiftBackendOptions>>().Get("openshift").Namespace);
        Assert.Null(sp.GetRequiredService<IOptionsMonitor<OpenShiftBackendOptions>>().Get("other").Namespace);
    }

    [Fact]
    public void Invalid_options_fail_on_start_with_every_error()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.StorageSize = "huge";
            o.Namespace = "UPPER";
        });
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(e.Failures, f => f.StartsWith("OpenShift backend 'openshift': StorageSize:", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("OpenShift backend 'openshift': Namespace:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_name_another_kind_of_backend_holds_is_a_clear_error()
    {
        var services = new ServiceCollection();
        var paude = services.AddPaude().AddBackend<Paude.Sessions.ISessionBackend>("openshift", (_, _) => throw new InvalidOperationException("never built"));

        var ex = Assert.Throws<Errors.InvalidOptionsException>(() => paude.AddOpenShiftBackend());
        Assert.Contains("'openshift' is already registered", string.Join("\n", ex.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_kubeconfig_is_a_typed_unavailable_error()
    {
        var services = new ServiceCollection();
        var empty = Path.Combine(Path.GetTempPath(), "paude-empty-kubeconfig-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(empty, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        try
        {
            services.AddPaude().AddOpenShiftBackend(configure: o => o.KubeconfigPath = empty);
            using var sp = services.BuildServiceProvider();
            Assert.Throws<Errors.BackendUnavailableException>(() => sp.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift"));
        }
        finally
        {
            File.Delete(empty);
        }
    }
}
