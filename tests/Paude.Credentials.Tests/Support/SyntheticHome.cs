using System.Security.Cryptography;
using System.Text;

namespace Paude.Tests.Support;

/// <summary>
/// A synthetic host home: a Claude config folder with a ~20 MB plugins tree (binaries, exec bits, nested
/// in-tree links, an absolute in-tree link, a link to a host file outside the tree, unicode names, empty
/// folders), history/caches that must be excluded, <c>~/.claude.json</c>, gcloud ADC — each secret file holds a
/// unique marker so tests can prove it never appears in logs or <c>podman inspect</c>.
/// </summary>
internal sealed class SyntheticHome : IDisposable
{
    public const string ToolVersionDir = "plugins/cache/market/tool/1.0.0";
    private const UnixFileMode Exec = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode Private = (UnixFileMode)0x180; // 0600
    private readonly TempDir _root = new("paude-cred-home-");

    public SyntheticHome(bool outsideLink = true, int binaries = 4, int binaryBytes = 4 * 1024 * 1024, int smallFiles = 300)
    {
        var id = Guid.NewGuid().ToString("N");
        ApiKeySecret = "sk-ant-api-SECRET-" + id;
        OauthSecret = "oauth-SECRET-" + id;
        UserIdSecret = "userid-SECRET-" + id;
        AdcSecret = "adc-refresh-SECRET-" + id;
        OutsideSecret = "outside-SECRET-" + id;

        Home = _root.Combine("home");
        ClaudeDir = Path.Join(Home, ".claude");
        Outside = _root.Combine("outside");
        Allowed = _root.Combine("allowed");
        Write(".claude/settings.json", $"{{\"env\":{{\"ANTHROPIC_API_KEY\":\"{ApiKeySecret}\"}},\"model\":\"opus\"}}");
        Write(".claude/.credentials.json", $"{{\"claudeAiOauth\":{{\"accessToken\":\"{OauthSecret}\"}}}}", Private);
        Write(".claude.json", $"{{\"userID\":\"{UserIdSecret}\",\"numStartups\":3}}", Private);
        Write(".config/gcloud/application_default_credentials.json", $"{{\"type\":\"authorized_user\",\"refresh_token\":\"{AdcSecret}\"}}", Private);
        Write(".claude/statsig/statsig.stable_id.123", "\"stable-id\"");
        Write(".gitconfig", "[user]\n\tname = Synthetic User\n\temail = synthetic@example.test\n");
        Write(".claude/CLAUDE.md", "# Be helpful\n");
        Write(".claude/commands/review.md", "Review the code.\n");
        Write(".claude/agents/helper.md", "---\nname: helper\n---\n");
        foreach (var excluded in new[] { "projects/-home-me-repo/s.jsonl", "todos/t.json", "history.jsonl", "shell-snapshots/snap.sh", "debug/log.txt", "file-history/x", "statsig/../cache/c.bin" })
        {
            Write(".claude/" + excluded, "EXCLUDED");
        }

        Write(".claude/plugins/installed_plugins.json",
            $"{{\"version\":2,\"plugins\":{{\"tool@market\":[{{\"scope\":\"user\",\"installPath\":\"{ClaudeDir}/{ToolVersionDir}\",\"version\":\"1.0.0\"}}]}}}}");
        Write(".claude/plugins/known_marketplaces.json",
            $"{{\"market\":{{\"source\":{{\"source\":\"github\",\"repo\":\"acme/market\"}},\"installLocation\":\"{ClaudeDir}/plugins/marketplaces/market\"}}}}");
        Write(".claude/plugins/marketplaces/market/.claude-plugin/marketplace.json", "{\"name\":\"market\"}");

        var tool = ".claude/" + ToolVersionDir;
        var random = new Random(42);
        for (var i = 0; i < binaries; i++)
        {
            var data = new byte[binaryBytes];
            random.NextBytes(data);
            WriteBytes($"{tool}/bin/tool-{i}", data, Exec);
        }

        Write($"{tool}/scripts/run.sh", "#!/bin/sh\necho run\n", Exec);
        Write($"{tool}/readonly.txt", "read only\n", (UnixFileMode)0x124); // 0444
        for (var i = 0; i < smallFiles; i++)
        {
            var data = new byte[8 * 1024 + random.Next(8 * 1024)];
            random.NextBytes(data);
            WriteBytes($"{tool}/lib/{i / 50:D2}/file-{i:D4}.dat", data);
        }

        Write($"{tool}/données/ünïcødé-名前 file.txt", "unicode\n");
        Directory.CreateDirectory(Path.Join(Home, tool, "empty"));
        Directory.CreateDirectory(Path.Join(Home, tool, "nested/empty/deeper"));

        // In-tree links: relative to a folder, relative to a file, nested, and one absolute link into the tree.
        File.CreateSymbolicLink(Path.Join(Home, ".claude/plugins/cache/market/tool/current"), "1.0.0");
        File.CreateSymbolicLink(Path.Join(Home, tool, "lib/alias.dat"), "00/file-0000.dat");
        File.CreateSymbolicLink(Path.Join(Home, tool, "nested/up-link"), "../scripts/run.sh");
        File.CreateSymbolicLink(Path.Join(Home, tool, "bin/absolute-link"), Path.Join(Home, tool, "bin/tool-0"));

        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Join(Outside, "host-secret.txt"), OutsideSecret);
        Directory.CreateDirectory(Path.Join(Allowed, "shared"));
        File.WriteAllText(Path.Join(Allowed, "shared", "lib.txt"), "shared library\n");
        File.CreateSymbolicLink(Path.Join(Home, tool, "shared"), Path.Join(Allowed, "shared"));
        if (outsideLink)
        {
            File.CreateSymbolicLink(Path.Join(Home, tool, "outside-link"), Path.Join(Outside, "host-secret.txt"));
        }
    }

    public string Home { get; }

    public string ClaudeDir { get; }

    public string Outside { get; }

    public string Allowed { get; }

    public string ApiKeySecret { get; }

    public string OauthSecret { get; }

    public string UserIdSecret { get; }

    public string AdcSecret { get; }

    public string OutsideSecret { get; }

    public IReadOnlyList<string> Secrets => [ApiKeySecret, OauthSecret, UserIdSecret, AdcSecret, OutsideSecret];

    /// <summary>Options pointing every source at this home (explicitly, so the test process environment does not matter).</summary>
    public void Configure(Paude.Credentials.CredentialOptions o)
    {
        o.HomeDirectory = Home;
        o.ClaudeConfigDirectory = ClaudeDir;
        o.ClaudeJsonPath = Path.Join(Home, ".claude.json");
        o.GcloudConfigDirectory = Path.Join(Home, ".config/gcloud");
        o.GitWorkingDirectory = Home;
        o.AllowedLinkRoots.Add(Allowed);
    }

    public static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void Dispose() => _root.Dispose();

    private void Write(string relative, string text, UnixFileMode? mode = null) => WriteBytes(relative, Encoding.UTF8.GetBytes(text), mode);

    private void WriteBytes(string relative, byte[] data, UnixFileMode? mode = null)
    {
        var path = Path.GetFullPath(Path.Join(Home, relative));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
        File.SetUnixFileMode(path, mode ?? (UnixFileMode)0x1A4);
    }
}
