namespace Paude.Tests.Images;

/// <summary>
/// images/agent/agents/fetch.sh offline: a cached tarball that does not match the pinned integrity is discarded,
/// a registry that does not answer is a clear error naming it, an unknown agent lists the known ones; nothing is
/// staged in any of these cases.
/// </summary>
public sealed class AgentFetchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-agent-fetch-").FullName;

    private static string Script => Path.Combine(RepositoryRoot.Path, "images", "agent", "agents", "fetch.sh");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<ProcessOutcome> FetchAsync(params string[] agents) => ProcessRunner.RunAsync("bash", [Script, .. agents], writeStdin: null, environment: new Dictionary<string, string>
    {
        ["PAUDE_CACHE_DIR"] = Path.Combine(_dir, "cache"),
        ["PAUDE_AGENTS_STAGED"] = Path.Combine(_dir, "staged"),
        // Loopback port 9 (discard): nothing listens, so the registry is "missing" without leaving the machine.
        ["npm_config_registry"] = "http://127.0.0.1:9/",
    }, timeout: TimeSpan.FromMinutes(3));

    [Fact]
    public async Task ATamperedCachedTarballIsDiscardedAndAMissingRegistryIsAClearError()
    {
        var cached = Path.Combine(_dir, "cache", "agents", "_anthropic-ai-claude-code-linux-x64_2.1.332.tgz");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        await File.WriteAllTextAsync(cached, "not the pinned tarball");

        var run = await FetchAsync("claude");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("does not match the pinned integrity", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("the npm registry (http://127.0.0.1:9/) did not serve @anthropic-ai/claude-code-linux-x64@2.1.332", run.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(cached));
        Assert.False(File.Exists(Path.Combine(_dir, "staged", "claude")));
    }

    [Fact]
    public async Task AnUnknownAgentIsRefusedListingTheKnownOnes()
    {
        var run = await FetchAsync("claude", "vim");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unknown agent 'vim' (known: claude codex", run.StandardError, StringComparison.Ordinal);
    }
}
