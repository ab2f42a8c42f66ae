using System.Security.Cryptography;
using System.Text;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>
/// A throw-away host home whose <c>~/.claude</c> makes a package of more than 3 MiB: a 2.5 MiB random (binary-ish)
/// executable and a 1 MiB one in a plugins tree, a script with exec bits, a read-only file, in-tree symlinks, and
/// config files holding unique secret markers (so tests can prove no value leaks into logs or objects).
/// </summary>
internal sealed class FakeClaudeHome : IDisposable
{
    private const UnixFileMode Exec = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode Private = (UnixFileMode)0x180; // 0600

    public FakeClaudeHome(bool outsideLink = false)
    {
        Root = Path.Join(Path.GetTempPath(), "paude-os-creds-" + Guid.NewGuid().ToString("N")[..8]);
        Home = Path.Join(Root, "home");
        ClaudeDir = Path.Join(Home, ".claude");
        var id = Guid.NewGuid().ToString("N");
        OauthSecret = "oauth-SECRET-" + id;
        ApiKeySecret = "sk-ant-api-SECRET-" + id;
        Write("settings.json", $"{{\"env\":{{\"ANTHROPIC_API_KEY\":\"{ApiKeySecret}\"}}}}");
        Write(".credentials.json", $"{{\"claudeAiOauth\":{{\"accessToken\":\"{OauthSecret}\"}}}}", Private);
        File.WriteAllText(Path.Join(Home, ".claude.json"), "{\"numStartups\":1}");
        var random = new Random(6);
        WriteBytes("plugins/cache/market/tool/1.0.0/bin/tool", RandomBytes(random, 2560 * 1024), Exec);
        WriteBytes("plugins/cache/market/tool/1.0.0/lib/blob.dat", RandomBytes(random, 1024 * 1024));
        Write("plugins/cache/market/tool/1.0.0/scripts/run.sh", "#!/bin/sh\necho run\n", Exec);
        Write("plugins/cache/market/tool/1.0.0/readonly.txt", "read only\n", (UnixFileMode)0x124); // 0444
        File.CreateSymbolicLink(Path.Join(ClaudeDir, "plugins/cache/market/tool/current"), "1.0.0");
        File.CreateSymbolicLink(Path.Join(ClaudeDir, "plugins/cache/market/tool/1.0.0/bin/run"), "../scripts/run.sh");
        if (outsideLink)
        {
            var outside = Path.Join(Root, "outside");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Join(outside, "host.txt"), "outside\n");
            File.CreateSymbolicLink(Path.Join(ClaudeDir, "plugins/escape"), Path.Join(outside, "host.txt"));
        }
    }

    public string Root { get; }

    public string Home { get; }

    public string ClaudeDir { get; }

    public string OauthSecret { get; }

    public string ApiKeySecret { get; set; }

    public IReadOnlyList<string> Secrets => [OauthSecret, ApiKeySecret];

    public void Configure(Paude.Credentials.CredentialOptions o)
    {
        o.HomeDirectory = Home;
        o.ClaudeConfigDirectory = ClaudeDir;
        o.ClaudeJsonPath = Path.Join(Home, ".claude.json");
        o.GcloudConfigDirectory = Path.Join(Home, ".config/gcloud");
        o.GitWorkingDirectory = Home;
    }

    /// <summary>Every regular file and link under <c>~/.claude</c>: relative path → "f sha256 mode" or "l target".</summary>
    public SortedDictionary<string, string> Expected()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>([ClaudeDir]);
        while (pending.TryPop(out var dir))
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(dir))
            {
                var info = new FileInfo(path);
                var relative = Path.GetRelativePath(ClaudeDir, path);
                if (info.LinkTarget is { } target)
                {
                    result[relative] = "l " + target; // never followed
                }
                else if (Directory.Exists(path))
                {
                    pending.Push(path);
                }
                else
                {
                    using var stream = File.OpenRead(path);
                    var ownerBits = ((int)info.UnixFileMode >> 6) & 7;
                    result[relative] = $"f {Convert.ToHexStringLower(SHA256.HashData(stream))} {ownerBits}";
                }
            }
        }

        return result;
    }

    public void Write(string relative, string text, UnixFileMode? mode = null) => WriteBytes(relative, Encoding.UTF8.GetBytes(text), mode);

    public void WriteBytes(string relative, byte[] data, UnixFileMode? mode = null)
    {
        var path = Path.Join(ClaudeDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
        File.SetUnixFileMode(path, mode ?? (UnixFileMode)0x1A4); // 0644
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var data = new byte[length];
        random.NextBytes(data);
        return data;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
