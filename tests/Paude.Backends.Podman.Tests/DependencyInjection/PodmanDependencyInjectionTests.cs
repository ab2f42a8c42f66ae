using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.DependencyInjection;

public sealed class PodmanDependencyInjectionTests
{
    [Fact]
    public async Task AddPodmanBackend_twice_registers_one_backend()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend();
        services.AddPaude().AddPodmanBackend();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        provider.GetRequiredService<IStartupValidator>().Validate();

        var backends = provider.GetRequiredService<ISessionBackendProvider>();
        Assert.Equal(["podman"], backends.Names);
        Assert.Single(services, d => d.ServiceType == typeof(ISessionBackend) && Equals(d.ServiceKey, "podman"));
        Assert.Equal("podman", backends.GetBackend().Name);
        Assert.Same(backends.GetBackend(), backends.GetBackend("podman"));
    }

    [Fact]
    public async Task Two_named_Podman_backends_live_side_by_side()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude()
            .AddPodmanBackend("local")
            .AddPodmanBackend("other", o => o.AgentImage = "localhost/paude-agent:other");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var backends = provider.GetRequiredService<ISessionBackendProvider>();
        var local = backends.GetBackend("local");
        var other = backends.GetBackend("other");

        Assert.Equal(["local", "other"], backends.Names);
        Assert.Equal("local", local.Name);
        Assert.Equal("other", other.Name);
        Assert.NotSame(local, other);
        Assert.Same(local, backends.GetBackend());
        Assert.Throws<InvalidOptionsException>(() => backends.GetBackend("missing"));

        // Both really talk to podman; neither sees a session that does not exist.
        Assert.Null(await local.GetAsync(SessionName.Parse("di-side-by-side-none")));
        Assert.Null(await other.GetAsync(SessionName.Parse("di-side-by-side-none")));
    }

    [Fact]
    public async Task Invalid_options_fail_at_start_with_every_error_together()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend("bad", o =>
        {
            o.PodmanPath = "";
            o.AgentImage = " ";
            o.ProxyImage = "";
        });
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.True(ex is OptionsValidationException or InvalidOptionsException or AggregateException, ex.GetType().FullName);
        var message = ex is AggregateException agg ? string.Join("\n", agg.InnerExceptions.Select(e => e.Message)) : ex.Message;
        Assert.Contains("PodmanPath", message, StringComparison.Ordinal);
        Assert.Contains("AgentImage", message, StringComparison.Ordinal);
        Assert.Contains("ProxyImage", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registering_the_same_name_again_adds_its_configuration()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("twice").AddPodmanBackend("twice", o => o.AgentImage = "localhost/paude-agent:second");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(["twice"], provider.GetRequiredService<ISessionBackendProvider>().Names);
        Assert.Equal("localhost/paude-agent:second", provider.GetRequiredService<IOptionsMonitor<Paude.Backends.Podman.PodmanBackendOptions>>().Get("twice").AgentImage);
    }

    [Fact]
    public void A_name_another_kind_of_backend_holds_is_a_clear_error()
    {
        var services = new ServiceCollection();
        var paude = services.AddPaude().AddBackend<ISessionBackend>("podman", (_, _) => throw new InvalidOperationException("never built"));

        var ex = Assert.Throws<InvalidOptionsException>(() => paude.AddPodmanBackend());
        Assert.Contains("'podman' is already registered", string.Join("\n", ex.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_registered_TimeProvider_is_the_backends_clock()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(TimeSpan.FromDays(-3650)));
        services.AddPaude().AddPodmanBackend();
        await using var provider = services.BuildServiceProvider();
        var backend = provider.GetRequiredService<ISessionBackendProvider>().GetBackend();
        var name = SessionName.Parse("di-clock-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)));
        try
        {
            var created = await backend.CreateAsync(new SessionSpec { Name = name, AgentCommand = ["sleep", "infinity"] });
            Assert.NotNull(created.CreatedAt);
            Assert.InRange(created.CreatedAt.Value, DateTimeOffset.UtcNow.AddDays(-3651), DateTimeOffset.UtcNow.AddDays(-3649));
        }
        finally
        {
            await backend.DeleteAsync(name);
        }
    }
}
