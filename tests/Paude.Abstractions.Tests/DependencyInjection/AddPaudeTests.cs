using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.DependencyInjection;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.DependencyInjection;

public sealed class AddPaudeTests
{
    [Fact]
    public void AddPaudeIsIdempotent()
    {
        var services = new ServiceCollection();
        services.AddPaude();
        var count = services.Count;
        services.AddPaude();
        services.AddPaude(o => o.DefaultBackend = null);
        Assert.Equal(count + 1, services.Count); // only the second configure action is new
        using var provider = services.BuildServiceProvider();
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Single(provider.GetServices<ISessionBackendProvider>());
    }

    [Fact]
    public void BackendsResolveByNameAndTheFirstIsTheDefault()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddBackend("one", (_, n) => new NamedBackend(n)).AddBackend("two", (_, n) => new NamedBackend(n)).AddBackend("one", (_, _) => new NamedBackend("dup"));
        using var provider = services.BuildServiceProvider();
        var backends = provider.GetRequiredService<ISessionBackendProvider>();
        Assert.Equal(["one", "two"], backends.Names);
        Assert.Equal("one", backends.GetBackend().Name);
        Assert.Equal("two", backends.GetBackend("two").Name);
    }

    [Fact]
    public void DefaultBackendOptionIsHonoured()
    {
        var services = new ServiceCollection();
        services.AddPaude(o => o.DefaultBackend = "two").AddBackend("one", (_, n) => new NamedBackend(n)).AddBackend("two", (_, n) => new NamedBackend(n));
        using var provider = services.BuildServiceProvider();
        Assert.Equal("two", provider.GetRequiredService<ISessionBackendProvider>().GetBackend().Name);
    }

    [Fact]
    public void UnknownBackendNameIsATypedErrorNamingTheRegisteredOnes()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddBackend("podman", (_, n) => new NamedBackend(n));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOptionsException>(() => provider.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift"));
        Assert.Contains("'openshift'", e.Message, StringComparison.Ordinal);
        Assert.Contains("registered: podman", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoBackendRegisteredIsATypedError()
    {
        var services = new ServiceCollection();
        services.AddPaude();
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOptionsException>(() => provider.GetRequiredService<ISessionBackendProvider>().GetBackend());
        Assert.Contains("none is registered", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsFailAtStartValidation()
    {
        var services = new ServiceCollection();
        services.AddPaude(o => o.DefaultBackend = "");
        using var provider = services.BuildServiceProvider();
        var validator = provider.GetRequiredService<IStartupValidator>();
        var e = Assert.Throws<OptionsValidationException>(validator.Validate);
        Assert.Contains("PaudeOptions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidOptionsPassStartValidation()
    {
        var services = new ServiceCollection();
        services.AddPaude(o => o.DefaultBackend = "x");
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal("x", provider.GetRequiredService<IOptions<PaudeOptions>>().Value.DefaultBackend);
    }

    [Fact]
    public void NullArgumentsThrow()
    {
        Assert.Throws<ArgumentNullException>(() => PaudeServiceCollectionExtensions.AddPaude(null!));
        var builder = new ServiceCollection().AddPaude();
        Assert.Throws<ArgumentException>(() => builder.AddBackend("", (_, n) => new NamedBackend(n)));
    }

    private sealed class NamedBackend(string name) : ISessionBackend
    {
        public string Name { get; } = name;

        // Only the name matters to the DI tests; the operations are exercised by the backends' own tests.
        public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
