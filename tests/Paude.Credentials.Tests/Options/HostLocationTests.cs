using Paude.Credentials;
using Paude.Tests.Support;

namespace Paude.Tests.Options;

public sealed class HostLocationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ClaudeConfigDir_Environment_MovesTheFolderAndTheStateFile_UnlessOptionsSayOtherwise()
    {
        var configDir = _dir.Combine("custom-claude");
        var before = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR");
        Environment.SetEnvironmentVariable("CLAUDE_CONFIG_DIR", configDir);
        try
        {
            var defaults = new CredentialOptions { HomeDirectory = _dir.Path };
            Assert.Equal(configDir, HostLocations.ClaudeDirectory(defaults));
            Assert.Equal(Path.Join(configDir, ".claude.json"), HostLocations.ClaudeJson(defaults));
            var explicitOptions = new CredentialOptions { HomeDirectory = _dir.Path, ClaudeConfigDirectory = "/opt/claude", ClaudeJsonPath = "/opt/state.json" };
            Assert.Equal("/opt/claude", HostLocations.ClaudeDirectory(explicitOptions));
            Assert.Equal("/opt/state.json", HostLocations.ClaudeJson(explicitOptions));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLAUDE_CONFIG_DIR", before);
        }
    }

    [Fact]
    public async Task NameWithANewline_IsRefusedWithATypedError_NothingWritten()
    {
        var claude = Directory.CreateDirectory(_dir.Combine(".claude", "commands")).FullName;
        await File.WriteAllTextAsync(Path.Join(claude, "bad\nname.md"), "x");
        using var harness = new Harness(o =>
        {
            o.HomeDirectory = _dir.Path;
            o.ClaudeConfigDirectory = _dir.Combine(".claude");
            o.ClaudeJsonPath = _dir.Combine(".claude.json");
        });
        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<CredentialPackagingException>(() => harness.Packager.WritePackageAsync(["claude"], destination));
        Assert.Contains("cannot be packaged", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task LinkIntoAnExcludedFolder_IsTreatedAsLeadingOutside()
    {
        var claude = _dir.Combine(".claude");
        Directory.CreateDirectory(Path.Join(claude, "projects"));
        await File.WriteAllTextAsync(Path.Join(claude, "projects", "history.txt"), "private");
        File.CreateSymbolicLink(Path.Join(claude, "recent"), "projects/history.txt");
        using var harness = new Harness(o =>
        {
            o.HomeDirectory = _dir.Path;
            o.ClaudeConfigDirectory = claude;
            o.ClaudeJsonPath = _dir.Combine(".claude.json");
        });
        var error = await Assert.ThrowsAsync<CredentialLinkRefusedException>(() => harness.Inventory.DescribeAsync(["claude"]));
        Assert.Contains("recent", Assert.Single(error.Links), StringComparison.Ordinal);
    }
}
