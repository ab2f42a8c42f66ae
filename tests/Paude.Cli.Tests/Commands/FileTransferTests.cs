using System.Runtime.Versioning;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>upload / download through the file channel, checked with real git and real files on both sides.</summary>
[Collection("podman")]
[SupportedOSPlatform("linux")]
public sealed class FileTransferTests(SharedSessionFixture shared) : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("paude-cli-files-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Upload_then_download_leaves_out_git_metadata_unless_asked_and_round_trips_modes_and_unicode()
    {
        var source = TestRun.NewGitWorkspace("upload");
        try
        {
            Directory.CreateDirectory(Path.Combine(source, "empty dir"));
            await File.WriteAllBytesAsync(Path.Combine(source, "data.bin"), [0, 159, 146, 150, 255]);
            await File.WriteAllTextAsync(Path.Combine(source, "ünïcödé.txt"), "ü");
            var tool = Path.Combine(source, "tool.sh");
            await File.WriteAllTextAsync(tool, "#!/bin/sh\necho tool\n");
            File.SetUnixFileMode(tool, (UnixFileMode)0b111_101_101);
            const string Target = "/pvc/cli-upload";

            var up = await PaudeCli.RunAsync("upload", shared.Name, source, "--to", Target, "-o", "json");
            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.Equal("upload", up.Json().GetProperty("direction").GetString());

            var inside = await PaudeCli.RunAsync("exec", shared.Name, "--", "bash", "-c",
                $"cd {Target} && ./tool.sh && cat ünïcödé.txt && echo && git log --format=%s && test -d 'empty dir' && echo empty-ok");
            Assert.True(inside.ExitCode == 0, inside.ToString());
            Assert.Equal("tool\nü\nInitial commit\nempty-ok\n", inside.Stdout);

            // By default the session's .git stays behind (its config could run code on the host), and stderr says so.
            var plain = Path.Combine(_scratch, "plain");
            var safe = await PaudeCli.RunAsync("download", shared.Name, plain, "--from", Target, "-o", "json");
            Assert.True(safe.ExitCode == 0, safe.ToString());
            Assert.Equal([".git"], safe.Json().GetProperty("leftOut").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains("left out 1 git metadata path(s) (.git); bring commits back with `paude sync`", safe.Stderr, StringComparison.Ordinal);
            Assert.False(Path.Exists(Path.Combine(plain, ".git")));
            Assert.Equal("ü", await File.ReadAllTextAsync(Path.Combine(plain, "ünïcödé.txt")));

            var destination = Path.Combine(_scratch, "back");
            var down = await PaudeCli.RunAsync("download", shared.Name, destination, "--from", Target, "--include-git-metadata");
            Assert.True(down.ExitCode == 0, down.ToString());
            Assert.DoesNotContain("left out", down.Stderr, StringComparison.Ordinal);
            Assert.Equal(new byte[] { 0, 159, 146, 150, 255 }, await File.ReadAllBytesAsync(Path.Combine(destination, "data.bin")));
            Assert.Equal("ü", await File.ReadAllTextAsync(Path.Combine(destination, "ünïcödé.txt")));
            Assert.True(File.GetUnixFileMode(Path.Combine(destination, "tool.sh")).HasFlag(UnixFileMode.UserExecute));
            Assert.True(Directory.Exists(Path.Combine(destination, "empty dir")));
            Assert.Equal(TestRun.Git(source, "rev-parse", "HEAD"), TestRun.Git(destination, "rev-parse", "HEAD"));
            TestRun.Git(destination, "fsck", "--no-progress");
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    [Fact]
    public async Task Download_into_an_existing_folder_exits_2_and_leaves_it_untouched()
    {
        var existing = Directory.CreateDirectory(Path.Combine(_scratch, "exists")).FullName;
        await File.WriteAllTextAsync(Path.Combine(existing, "mine.txt"), "keep me");

        var run = await PaudeCli.RunAsync("download", shared.Name, existing);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("already exists", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(["mine.txt"], Directory.EnumerateFileSystemEntries(existing).Select(Path.GetFileName));
        Assert.Equal(["exists"], Directory.EnumerateFileSystemEntries(_scratch).Select(Path.GetFileName)); // no staging folder left
    }

    [Fact]
    public async Task Unsafe_content_from_the_session_exits_8_and_creates_nothing()
    {
        // What comes back from a session is untrusted: here the "agent" planted a link to a host file.
        var plant = await PaudeCli.RunAsync("exec", shared.Name, "--", "bash", "-c",
            "rm -rf /pvc/evil && mkdir -p /pvc/evil && echo fine > /pvc/evil/ok.txt && ln -s /etc/shadow /pvc/evil/innocent");
        Assert.True(plant.ExitCode == 0, plant.ToString());
        var destination = Path.Combine(_scratch, "evil");

        var run = await PaudeCli.RunAsync("download", shared.Name, destination, "--from", "/pvc/evil", "-o", "json");

        Assert.Equal(8, run.ExitCode);
        Assert.Equal("unsafe-content", run.ErrorJson().GetProperty("error").GetProperty("kind").GetString());
        Assert.False(Directory.Exists(destination));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_scratch)); // no half-extracted staging folder either
    }

    [Fact]
    public async Task Uploading_a_missing_folder_exits_2()
    {
        var run = await PaudeCli.RunAsync("upload", shared.Name, Path.Combine(_scratch, "nope"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does not exist", run.Stderr, StringComparison.Ordinal);
    }
}
