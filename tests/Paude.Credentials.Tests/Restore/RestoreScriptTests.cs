using System.Text;
using Paude.Backends.OpenShift.Credentials;
using Paude.Credentials;
using Paude.Tests.Packaging;
using Paude.Tests.Parts;
using Paude.Tests.Support;

namespace Paude.Tests.Restore;

/// <summary>
/// Runs the real <c>paude-restore-credentials</c> in real containers as an arbitrary UID in group 0 with a
/// tmpfs at <c>/credentials</c>: the Podman path (package unpacked by the upload) and the Kubernetes path
/// (split parts reassembled by the script), including tampered, corrupted and missing content.
/// </summary>
public sealed class RestoreScriptTests(SyntheticHomeFixture fixture) : IClassFixture<SyntheticHomeFixture>, IAsyncLifetime, IDisposable
{
    private readonly TempDir _work = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PodmanContainer.RemoveAllOfThisRunAsync();
        _work.Dispose();
    }

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task UploadedPackage_IsVerifiedAndPlacedInHome_ReadableByTheArbitraryUid_AndTamperingIsDetected()
    {
        var (package, _, _) = await SplitTests.SplitPackageAsync(fixture.Home, _work);
        var manifest = await DescribeAsync();
        await using var container = await PodmanContainer.StartAsync();

        // What a backend's upload does: unpack the streamed archive into the memory-backed folder.
        (await container.ExecWithInputAsync(async stdin =>
        {
            await using var file = File.OpenRead(package);
            await file.CopyToAsync(stdin);
        }, "tar", "-x", "-f", "-", "-C", "/credentials")).EnsureSuccess("upload");
        var restore = await container.ExecAsync("paude-restore-credentials", "/credentials");
        Assert.True(restore.ExitCode == 0, restore.Stderr + restore.Stdout);
        Assert.Contains("verified and restored", restore.Stdout, StringComparison.Ordinal);

        await AssertPlacedInHomeAsync(container, manifest);

        // Tampering after delivery is caught by name; a deleted file too.
        (await container.ExecAsync("sh", "-c", "echo tampered >> /credentials/claude/CLAUDE.md")).EnsureSuccess("tamper");
        var tampered = await container.ExecAsync("paude-restore-credentials");
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("corrupted", tampered.Stderr, StringComparison.Ordinal);
        Assert.Contains("claude/CLAUDE.md", tampered.Stderr, StringComparison.Ordinal);

        (await container.ExecAsync("sh", "-c", "echo '# Be helpful' > /credentials/claude/CLAUDE.md && rm /credentials/claude/commands/review.md")).EnsureSuccess("delete");
        var missing = await container.ExecAsync("paude-restore-credentials");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("review.md", missing.Stderr, StringComparison.Ordinal);
        foreach (var secret in fixture.Home.Secrets)
        {
            Assert.DoesNotContain(secret, tampered.Stderr + missing.Stderr + restore.Stdout, StringComparison.Ordinal);
        }

        // Never onto the workspace volume.
        var onPvc = await container.ExecAsync("paude-restore-credentials", "/pvc/credentials");
        Assert.Equal(1, onPvc.ExitCode);
        Assert.Contains("workspace volume", onPvc.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFolderOnTheVolume_GetsOnlyLinksIntoMemory_KeepsTheAgentsOwnState_AndALinkIntoTheCredentialsIsRefused()
    {
        var (package, _, _) = await SplitTests.SplitPackageAsync(fixture.Home, _work);
        await using var container = await PodmanContainer.StartAsync();
        (await Run.ExecAsync("podman", "exec", "--user", "0", container.Name, "sh", "-c", "mkdir -p /pvc && chmod 0775 /pvc")).EnsureSuccess("mkdir /pvc");
        (await container.ExecWithInputAsync(async stdin =>
        {
            await using var file = File.OpenRead(package);
            await file.CopyToAsync(stdin);
        }, "tar", "-x", "-f", "-", "-C", "/credentials")).EnsureSuccess("upload");

        // What the agent image sets: Claude Code's config folder on the persistent volume, with state of its own from
        // an earlier container (history) and a stale file where a delivered piece goes.
        const string Config = "/pvc/.agent/claude";
        (await container.ExecAsync("sh", "-c", $"mkdir -p {Config} && echo '{{\"display\":\"earlier\"}}' > {Config}/history.jsonl && echo stale > {Config}/settings.json")).EnsureSuccess("state");
        var restore = await container.ExecAsync("env", $"CLAUDE_CONFIG_DIR={Config}", "paude-restore-credentials");
        Assert.True(restore.ExitCode == 0, restore.Stderr + restore.Stdout);

        // Claude Code finds the delivered pieces in its folder, through links into the memory-backed /credentials...
        Assert.Equal("/credentials/claude/.credentials.json", (await container.ExecAsync("readlink", $"{Config}/.credentials.json")).Stdout.Trim());
        Assert.Equal("/credentials/claude/settings.json", (await container.ExecAsync("readlink", $"{Config}/settings.json")).Stdout.Trim());
        Assert.Equal("/credentials/claude.json", (await container.ExecAsync("readlink", $"{Config}/.claude.json")).Stdout.Trim());
        Assert.Equal("{\"display\":\"earlier\"}", (await container.ExecAsync("cat", $"{Config}/history.jsonl")).Stdout.Trim());
        // ...and no secret is in any file on the volume: it holds folders, links and the agent's own state only.
        var grep = await container.ExecAsync(["grep", "-rlF", .. fixture.Home.Secrets.SelectMany(v => new[] { "-e", v }), "/pvc"]);
        Assert.Equal((1, string.Empty), (grep.ExitCode, grep.Stdout));
        Assert.Equal($"{Config}/history.jsonl", (await container.ExecAsync("find", "/pvc", "-type", "f")).Stdout.Trim());
        Assert.Equal(string.Empty, (await container.ExecAsync("find", "/pvc", "-type", "l", "!", "-lname", "/credentials/*")).Stdout.Trim());

        // The volume is the agent's to change between starts: a config folder planted as a link into the credentials
        // would make the links replace the credentials themselves. Refused, the credentials intact.
        (await container.ExecAsync("ln", "-s", "/credentials/claude", "/pvc/.agent/planted")).EnsureSuccess("plant");
        var planted = await container.ExecAsync("env", "CLAUDE_CONFIG_DIR=/pvc/.agent/planted", "paude-restore-credentials");
        Assert.Equal(1, planted.ExitCode);
        Assert.Contains("leads into '/credentials'", planted.Stderr, StringComparison.Ordinal);
        var again = await container.ExecAsync("env", $"CLAUDE_CONFIG_DIR={Config}", "paude-restore-credentials");
        Assert.True(again.ExitCode == 0, again.Stderr);
    }

    [Fact]
    public async Task SplitParts_AreReassembledAndVerified_CorruptedOrMissingPartFailsClearly()
    {
        var (_, parts, partsManifest) = await SplitTests.SplitPackageAsync(fixture.Home, _work);
        var manifest = await DescribeAsync();
        var corrupt = CopyParts(parts, "corrupt");
        var bytes = await File.ReadAllBytesAsync(Path.Join(corrupt, "part-0003"));
        bytes[4242] ^= 0x01;
        await File.WriteAllBytesAsync(Path.Join(corrupt, "part-0003"), bytes);
        var missing = CopyParts(parts, "missing");
        File.Delete(Path.Join(missing, "part-0005"));
        var reordered = CopyParts(parts, "reordered");
        var text = (await File.ReadAllTextAsync(Path.Join(parts, CredentialPartsManifest.FileName))).Split('\n').ToList();
        (text[2], text[3]) = (text[3], text[2]);
        await File.WriteAllTextAsync(Path.Join(reordered, CredentialPartsManifest.FileName), string.Join('\n', text));
        foreach (var dir in new[] { parts, corrupt, missing, reordered })
        {
            MakeReadable(dir);
        }

        await using var container = await PodmanContainer.StartAsync((parts, "/parts"), (corrupt, "/corrupt"), (missing, "/missing"), (reordered, "/reordered"));
        var bad = await container.ExecAsync("paude-restore-credentials", "--parts", "/corrupt", "/credentials");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("credential part 'part-0003' is corrupted", bad.Stderr, StringComparison.Ordinal);
        var gone = await container.ExecAsync("paude-restore-credentials", "--parts", "/missing", "/credentials");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("credential part 'part-0005' is missing", gone.Stderr, StringComparison.Ordinal);
        var swapped = await container.ExecAsync("paude-restore-credentials", "--parts", "/reordered", "/credentials");
        Assert.Equal(1, swapped.ExitCode);
        Assert.Contains("does not match", swapped.Stderr, StringComparison.Ordinal);
        var nothing = await container.ExecAsync("sh", "-c", "find /credentials -mindepth 1 | wc -l");
        Assert.Equal("0", nothing.Stdout.Trim());

        var ok = await container.ExecAsync([.. CredentialParts.RestoreFromPartsCommand("/parts")]);
        Assert.True(ok.ExitCode == 0, ok.Stderr + ok.Stdout);
        Assert.True(partsManifest.Parts.Count > 20);
        await AssertPlacedInHomeAsync(container, manifest);
    }

    private async Task<CredentialManifest> DescribeAsync()
    {
        using var harness = new Harness(o =>
        {
            fixture.Home.Configure(o);
            o.OutsideLinks = OutsideLinkPolicy.Skip;
        });
        return await harness.Inventory.DescribeAsync(["claude", "gcloud", "git"]);
    }

    /// <summary>Every file reachable at its home path with its hash; modes g=u; plugin paths resolve; git identity active.</summary>
    internal static async Task AssertPlacedInHomeAsync(PodmanContainer container, CredentialManifest manifest)
    {
        var lines = new StringBuilder();
        foreach (var e in manifest.Entries.Where(e => e.Kind == CredentialEntryKind.File && !e.Path.StartsWith("git/", StringComparison.Ordinal)))
        {
            lines.Append(e.Sha256).Append("  ").Append(HomePath(e.Path)).Append('\n');
        }

        var check = await container.ExecWithInputAsync(
            async stdin => await stdin.WriteAsync(Encoding.UTF8.GetBytes(lines.ToString())),
            "sh", "-c", "cd /home/paude && sha256sum --strict --quiet -c -");
        Assert.True(check.ExitCode == 0, check.Stdout + check.Stderr);

        var tool = "/home/paude/.claude/" + SyntheticHome.ToolVersionDir;
        var modes = (await container.ExecAsync("stat", "-L", "-c", "%a %n", tool + "/bin/tool-0", tool + "/readonly.txt", "/home/paude/.claude/.credentials.json", "/home/paude/.claude.json"))
            .EnsureSuccess("stat").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToArray();
        Assert.Equal(["770", "440", "660", "660"], modes);

        // The rewritten installPath resolves inside the container; the outside link was never shipped.
        var installed = (await container.ExecAsync("cat", "/home/paude/.claude/plugins/installed_plugins.json")).EnsureSuccess("cat").Stdout;
        Assert.Contains($"\"installPath\": \"{tool}\"", installed, StringComparison.Ordinal);
        (await container.ExecAsync("test", "-x", tool + "/scripts/run.sh")).EnsureSuccess("installPath resolves");
        Assert.NotEqual(0, (await container.ExecAsync("test", "-e", tool + "/outside-link")).ExitCode);
        Assert.Equal("1.0.0", (await container.ExecAsync("readlink", "/home/paude/.claude/plugins/cache/market/tool/current")).Stdout.Trim());

        // Secrets stay in memory: the home entries are links into /credentials.
        Assert.Equal("/credentials/claude/.credentials.json", (await container.ExecAsync("readlink", "/home/paude/.claude/.credentials.json")).Stdout.Trim());
        Assert.Equal("/credentials/gcloud/application_default_credentials.json", (await container.ExecAsync("readlink", "/home/paude/.config/gcloud/application_default_credentials.json")).Stdout.Trim());
    }

    private static string HomePath(string packagePath) => packagePath switch
    {
        "claude.json" => ".claude.json",
        _ when packagePath.StartsWith("claude/", StringComparison.Ordinal) => ".claude/" + packagePath["claude/".Length..],
        _ when packagePath.StartsWith("gcloud/", StringComparison.Ordinal) => ".config/gcloud/" + packagePath["gcloud/".Length..],
        _ => packagePath,
    };

    private string CopyParts(string parts, string name)
    {
        var dir = Directory.CreateDirectory(_work.Combine(name)).FullName;
        foreach (var file in Directory.EnumerateFiles(parts))
        {
            File.Copy(file, Path.Join(dir, Path.GetFileName(file)));
        }

        return dir;
    }

    private static void MakeReadable(string dir)
    {
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        }
    }
}
