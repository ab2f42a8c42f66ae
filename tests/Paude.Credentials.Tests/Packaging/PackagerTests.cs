using System.Text;
using System.Text.Json.Nodes;
using Paude.Credentials;
using Paude.Tests.Support;

namespace Paude.Tests.Packaging;

/// <summary>The synthetic home is built once per class (20 MB); tests only read it.</summary>
public sealed class SyntheticHomeFixture : IDisposable
{
    internal SyntheticHome Home { get; } = new();

    public void Dispose() => Home.Dispose();
}

public sealed class PackagerTests(SyntheticHomeFixture fixture) : IClassFixture<SyntheticHomeFixture>, IDisposable
{
    private readonly SyntheticHome _home = fixture.Home;
    private readonly TempDir _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Package_ExtractedWithRealTar_HasEveryFileWithHostHashAndMode_LinksKept_PathsRewritten()
    {
        using var harness = new Harness(o =>
        {
            _home.Configure(o);
            o.OutsideLinks = OutsideLinkPolicy.Skip;
        });
        var archive = _work.Combine("pkg.tar");
        var manifest = await harness.PackageToFileAsync(archive, "claude", "gcloud");
        var output = Directory.CreateDirectory(_work.Combine("out")).FullName;
        (await Run.ExecAsync("tar", "-xf", archive, "-C", output)).EnsureSuccess("tar -x");

        var tool = "claude/" + SyntheticHome.ToolVersionDir;
        var files = manifest.Entries.Where(e => e.Kind == CredentialEntryKind.File).ToList();
        Assert.True(manifest.TotalSize > 16 * 1024 * 1024, $"expected the ~20 MB plugins tree, got {manifest.TotalSize} bytes");
        foreach (var entry in files)
        {
            var extracted = Path.Join(output, entry.Path);
            Assert.Equal(entry.Sha256, SyntheticHome.Sha256(extracted));
            Assert.Equal(entry.Size, new FileInfo(extracted).Length);
            Assert.Equal(entry.Mode, File.GetUnixFileMode(extracted) & (UnixFileMode)0x1FF);
            var host = HostPathOf(entry.Path);
            if (host is not null && !entry.Path.EndsWith("plugins.json", StringComparison.Ordinal) && !entry.Path.EndsWith("marketplaces.json", StringComparison.Ordinal))
            {
                Assert.Equal(SyntheticHome.Sha256(host), entry.Sha256);
                Assert.Equal(File.GetUnixFileMode(host) & (UnixFileMode)0x1FF, entry.Mode);
            }
        }

        // Every regular file of the host tree (minus excludes and the outside link) is in the package.
        var hostFiles = Directory.EnumerateFiles(_home.ClaudeDir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(f => new FileInfo(f).LinkTarget is null)
            .Select(f => "claude/" + Path.GetRelativePath(_home.ClaudeDir, f))
            .Where(p => !IsExcluded(p))
            .ToHashSet();
        Assert.Empty(hostFiles.Except(files.Select(f => f.Path)));

        // Exec bits, unicode names, empty folders.
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Join(output, tool, "bin/tool-0")) & (UnixFileMode)0x1FF);
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Join(output, tool, "scripts/run.sh")) & (UnixFileMode)0x1FF);
        Assert.True(File.Exists(Path.Join(output, tool, "données/ünïcødé-名前 file.txt")));
        Assert.True(Directory.Exists(Path.Join(output, tool, "empty")));
        Assert.True(Directory.Exists(Path.Join(output, tool, "nested/empty/deeper")));

        // In-tree links stay links (the absolute one made relative); the allowed-root link is copied in.
        Assert.Equal("1.0.0", new FileInfo(Path.Join(output, "claude/plugins/cache/market/tool/current")).LinkTarget);
        Assert.Equal("00/file-0000.dat", new FileInfo(Path.Join(output, tool, "lib/alias.dat")).LinkTarget);
        Assert.Equal("../scripts/run.sh", new FileInfo(Path.Join(output, tool, "nested/up-link")).LinkTarget);
        Assert.Equal("tool-0", new FileInfo(Path.Join(output, tool, "bin/absolute-link")).LinkTarget);
        Assert.Equal(SyntheticHome.Sha256(Path.Join(output, tool, "bin/tool-0")), SyntheticHome.Sha256(Path.Join(output, tool, "bin/absolute-link")));
        Assert.Null(new FileInfo(Path.Join(output, tool, "shared")).LinkTarget);
        Assert.Equal("shared library\n", File.ReadAllText(Path.Join(output, tool, "shared/lib.txt")));

        // The outside link is not followed: not in the archive, its target's content nowhere, and the warning names it.
        Assert.False(Path.Exists(Path.Join(output, tool, "outside-link")));
        Assert.DoesNotContain(_home.OutsideSecret, await File.ReadAllTextAsync(archive, Encoding.Latin1));
        Assert.Contains(harness.Logs.Lines, l => l.Contains("outside-link", StringComparison.Ordinal) && l.StartsWith("Warning", StringComparison.Ordinal));

        // History and caches excluded.
        foreach (var excluded in new[] { "projects", "todos", "history.jsonl", "shell-snapshots", "debug", "file-history", "cache" })
        {
            Assert.False(Path.Exists(Path.Join(output, "claude", excluded)), excluded);
        }

        // Plugin metadata points at the container home.
        var installed = JsonNode.Parse(File.ReadAllText(Path.Join(output, "claude/plugins/installed_plugins.json")))!;
        Assert.Equal("/home/paude/.claude/" + SyntheticHome.ToolVersionDir, (string?)installed["plugins"]!["tool@market"]![0]!["installPath"]);
        var markets = JsonNode.Parse(File.ReadAllText(Path.Join(output, "claude/plugins/known_marketplaces.json")))!;
        Assert.Equal("/home/paude/.claude/plugins/marketplaces/market", (string?)markets["market"]!["installLocation"]);
        Assert.Equal("github", (string?)markets["market"]!["source"]!["source"]);

        // Secret vs plain config, and the manifests inside the archive.
        Assert.True(Entry(manifest, "claude/.credentials.json").Secret);
        Assert.True(Entry(manifest, "claude/settings.json").Secret);
        Assert.True(Entry(manifest, "claude.json").Secret);
        Assert.True(Entry(manifest, "gcloud/application_default_credentials.json").Secret);
        Assert.False(Entry(manifest, "claude/CLAUDE.md").Secret);
        var json = JsonNode.Parse(File.ReadAllText(Path.Join(output, CredentialManifest.JsonFileName)))!;
        Assert.Equal(manifest.Entries.Count, json["entries"]!.AsArray().Count);
        var check = await Run.ExecAsync(["sha256sum", "--strict", "--quiet", "-c", CredentialManifest.Sha256FileName], cwd: output);
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);
        Assert.Equal(files.Count, File.ReadAllLines(Path.Join(output, CredentialManifest.Sha256FileName)).Length);

        // Nothing secret was logged.
        Assert.NotEmpty(harness.Logs.Lines);
        foreach (var secret in _home.Secrets)
        {
            Assert.DoesNotContain(secret, harness.Logs.AllText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OutsideLink_ByDefault_IsRefusedWithTypedErrorNamingIt_BeforeAnyByteIsWritten()
    {
        using var harness = new Harness(_home.Configure);
        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<CredentialLinkRefusedException>(() => harness.Packager.WritePackageAsync(["claude"], destination));
        Assert.Equal(0, destination.Length);
        var link = Assert.Single(error.Links);
        Assert.Contains(Path.Join(_home.ClaudeDir, SyntheticHome.ToolVersionDir, "outside-link"), link, StringComparison.Ordinal);
        Assert.Contains("outside-link", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_home.OutsideSecret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutsideLink_UnderAnAllowedRoot_IsCopiedAsAFile()
    {
        using var harness = new Harness(o =>
        {
            _home.Configure(o);
            o.AllowedLinkRoots.Add(_home.Outside);
        });
        var manifest = await harness.PackageToFileAsync(_work.Combine("pkg.tar"), "claude");
        var entry = Entry(manifest, $"claude/{SyntheticHome.ToolVersionDir}/outside-link");
        Assert.Equal(CredentialEntryKind.File, entry.Kind);
        Assert.Equal(SyntheticHome.Sha256(Path.Join(_home.Outside, "host-secret.txt")), entry.Sha256);
    }

    [Fact]
    public async Task Package_IsByteForByteDeterministic()
    {
        using var harness = new Harness(o =>
        {
            _home.Configure(o);
            o.OutsideLinks = OutsideLinkPolicy.Skip;
        });
        await harness.PackageToFileAsync(_work.Combine("a.tar"), "claude", "gcloud");
        await harness.PackageToFileAsync(_work.Combine("b.tar"), "claude", "gcloud", "claude");
        Assert.Equal(SyntheticHome.Sha256(_work.Combine("a.tar")), SyntheticHome.Sha256(_work.Combine("b.tar")));
        var a = await Run.ExecAsync("tar", "-tf", _work.Combine("a.tar"));
        var b = await Run.ExecAsync("tar", "-tf", _work.Combine("b.tar"));
        Assert.Equal(a.Stdout, b.Stdout);
        var names = a.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CredentialManifest.JsonFileName, names[^1]);
        var ordered = names[..^3].ToArray();
        Assert.Equal(ordered.OrderBy(n => n.TrimEnd('/'), StringComparer.Ordinal), ordered);
    }

    [Fact]
    public async Task UnknownSource_IsRefusedWithTypedError_NothingWritten()
    {
        using var harness = new Harness(_home.Configure);
        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<CredentialSourceNotFoundException>(() => harness.Packager.WritePackageAsync(["claude", "aws"], destination));
        Assert.Equal("aws", error.Name);
        Assert.Contains("claude, gcloud, git", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, destination.Length);
    }

    [Fact]
    public async Task Describe_ListsPathsSizesAndHashes_SameAsThePackage()
    {
        using var harness = new Harness(o =>
        {
            _home.Configure(o);
            o.OutsideLinks = OutsideLinkPolicy.Skip;
        });
        var described = await harness.Inventory.DescribeAsync(["gcloud", "claude"]);
        var written = await harness.PackageToFileAsync(_work.Combine("pkg.tar"), "gcloud", "claude");
        Assert.Equal(written.Entries, described.Entries);
        Assert.Equal(["gcloud", "claude"], described.Sources);
    }

    [Fact]
    public async Task MissingSourceData_YieldsAnEmptyButValidPackage()
    {
        using var empty = new TempDir();
        using var harness = new Harness(o =>
        {
            o.HomeDirectory = empty.Path;
            o.ClaudeConfigDirectory = empty.Combine(".claude");
            o.ClaudeJsonPath = empty.Combine(".claude.json");
            o.GcloudConfigDirectory = empty.Combine("gcloud");
        });
        var archive = _work.Combine("empty.tar");
        var manifest = await harness.PackageToFileAsync(archive, "claude", "gcloud");
        Assert.Empty(manifest.Entries);
        var listing = await Run.ExecAsync("tar", "-tf", archive);
        Assert.Equal(0, listing.ExitCode);
        Assert.Contains(CredentialManifest.JsonFileName, listing.Stdout, StringComparison.Ordinal);
    }

    private static CredentialManifestEntry Entry(CredentialManifest manifest, string path) =>
        manifest.Entries.Single(e => e.Path == path);

    private static bool IsExcluded(string packagePath)
    {
        var rel = packagePath["claude/".Length..];
        var first = rel.Split('/')[0];
        return CredentialOptions.DefaultClaudeExcludes.Contains(first) || rel is "plugins/installed_plugins.json" or "plugins/known_marketplaces.json";
    }

    private string? HostPathOf(string packagePath) => packagePath switch
    {
        "claude.json" => Path.Join(_home.Home, ".claude.json"),
        _ when packagePath.StartsWith("claude/", StringComparison.Ordinal) && !packagePath.Contains("/shared/", StringComparison.Ordinal) => Path.Join(_home.ClaudeDir, packagePath["claude/".Length..]),
        _ when packagePath.StartsWith("gcloud/", StringComparison.Ordinal) => Path.Join(_home.Home, ".config/gcloud", packagePath["gcloud/".Length..]),
        _ => null,
    };
}
