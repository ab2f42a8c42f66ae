using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.Credentials;

namespace Paude.Tests.DependencyInjection;

public sealed class AddPaudeCredentialsTests
{
    [Fact]
    public void CalledTwice_RegistersOnce_AndKeepsBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPaudeCredentials(o => o.ContainerHome = "/home/agent");
        services.AddPaude().AddPaudeCredentials(o => o.AllowedLinkRoots.Add("/opt/shared"));
        Assert.Single(services, d => d.ServiceType == typeof(ICredentialPackager));
        using var provider = services.BuildServiceProvider();
        var packager = provider.GetRequiredService<ICredentialPackager>();
        Assert.Equal(["claude", "gcloud", "git"], packager.SourceNames);
        Assert.Equal(["/usr/local/bin/paude-restore-credentials", "/credentials"], packager.RestoreCommand);
        Assert.Same(packager, provider.GetRequiredService<ICredentialInventory>());
        var options = provider.GetRequiredService<IOptions<CredentialOptions>>().Value;
        Assert.Equal("/home/agent", options.ContainerHome);
        Assert.Equal(["/opt/shared"], options.AllowedLinkRoots);
    }

    [Fact]
    public void InvalidOptions_FailAtStart_WithEveryProblemListed()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPaudeCredentials(o =>
        {
            o.ClaudeConfigDirectory = "relative/claude";
            o.CredentialsDirectory = "/pvc/credentials";
            o.AllowedLinkRoots.Add("/");
            o.GitExecutable = " ";
        });
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(error.Failures, f => f.Contains("ClaudeConfigDirectory", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("workspace volume", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("AllowedLinkRoots", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("GitExecutable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CustomSource_IsPackagedNextToTheBuiltInOnes()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPaudeCredentials(o => o.ClaudeConfigDirectory = "/nonexistent/claude");
        services.AddSingleton<ICredentialSource, StaticSource>();
        using var provider = services.BuildServiceProvider();
        var manifest = await provider.GetRequiredService<ICredentialInventory>().DescribeAsync(["team"]);
        var entry = Assert.Single(manifest.Entries, e => e.Kind == CredentialEntryKind.File);
        Assert.Equal("team/token", entry.Path);
        Assert.True(entry.Secret);
        Assert.Equal((UnixFileMode)0x180, entry.Mode);
    }

    private sealed class StaticSource : ICredentialSource
    {
        public string Name => "team";

        public Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<CredentialItem>>([CredentialItem.FromContent("team/token", "t0ken"u8.ToArray(), secret: true, (UnixFileMode)0x180)]);
    }
}
