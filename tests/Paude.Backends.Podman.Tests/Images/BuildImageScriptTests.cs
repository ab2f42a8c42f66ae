using System.Security.Cryptography;

namespace Paude.Tests.Images;

/// <summary>
/// scripts/build-image.sh (what scripts/setup.sh builds the agent and proxy images with) on a small context of its
/// own, with real podman: an unchanged context and base skip the build and keep the image; a changed file, a changed
/// mode, a new file, a different base image and PAUDE_IMAGE_REBUILD=1 each build again, and the image then holds the
/// change. Every tag and the test's base image carry a random name and are removed.
/// </summary>
public sealed class BuildImageScriptTests : IAsyncLifetime
{
    private readonly string _run = "paude-buildtest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly string _context = Directory.CreateTempSubdirectory("paude-build-image-").FullName;

    private static string Script => Path.Combine(RepositoryRoot.Path, "scripts", "build-image.sh");

    private string Tag => $"localhost/{_run}:latest";

    private string DevTag => $"localhost/{_run}:dev";

    private string OtherBase => $"localhost/{_run}-base:other";

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_context, "Containerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY files/ /opt/buildtest/\n");
        Directory.CreateDirectory(Path.Combine(_context, "files"));
        await File.WriteAllTextAsync(Path.Combine(_context, "files", "a.txt"), "one\n");
    }

    public async Task DisposeAsync()
    {
        await Podman.RunAsync(["rmi", "-f", Tag, DevTag, OtherBase], writeStdin: null, ImageWait.CommandBound);
        Directory.Delete(_context, recursive: true);
    }

    [Fact]
    public async Task UnchangedInputsSkipTheBuildAndEveryChangedInputRebuilds()
    {
        var first = await BuildAsync(Base);
        Assert.Equal("built", first.Outcome);
        Assert.Equal(first.Id, await IdAsync(DevTag));

        var again = await BuildAsync(Base);
        Assert.Equal(("unchanged", first.Id), again);

        await File.WriteAllTextAsync(Path.Combine(_context, "files", "a.txt"), "two\n");
        var edited = await RebuiltAsync(Base, first.Id);
        Assert.Equal("two", (await Podman.CheckAsync("run", "--rm", "--entrypoint", "cat", Tag, "/opt/buildtest/a.txt")).Trim());

        File.SetUnixFileMode(Path.Combine(_context, "files", "a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var chmodded = await RebuiltAsync(Base, edited);

        await File.WriteAllTextAsync(Path.Combine(_context, "files", "b.txt"), "new\n");
        var added = await RebuiltAsync(Base, chmodded);

        // A base image with another ID (the same content plus a label) is another input.
        var baseContext = Directory.CreateTempSubdirectory("paude-build-image-base-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(baseContext, "Containerfile"), $"FROM {Base}\nLABEL {_run}=1\n");
            await Podman.CheckAsync("build", "-q", "--pull=never", "-t", OtherBase, baseContext);
        }
        finally
        {
            Directory.Delete(baseContext, recursive: true);
        }

        var rebased = await RebuiltAsync(OtherBase, added);
        Assert.Equal(("unchanged", rebased), await BuildAsync(OtherBase));

        var forced = await BuildAsync(OtherBase, force: true);
        Assert.Equal("built", forced.Outcome);
        Assert.Equal(forced.Id, await IdAsync(DevTag));
    }

    private static string Base => "localhost/paude-base:ci";

    /// <summary>Builds after a change: must build, and the tags must move to a new image.</summary>
    private async Task<string> RebuiltAsync(string baseImage, string previous)
    {
        var result = await BuildAsync(baseImage);
        Assert.Equal("built", result.Outcome);
        Assert.NotEqual(previous, result.Id);
        Assert.Equal(result.Id, await IdAsync(Tag));
        Assert.Equal(result.Id, await IdAsync(DevTag));
        return result.Id;
    }

    private async Task<(string Outcome, string Id)> BuildAsync(string baseImage, bool force = false)
    {
        var run = await ProcessRunner.RunAsync(
            "bash",
            [Script, _context, baseImage, Tag, DevTag],
            writeStdin: null,
            environment: new Dictionary<string, string> { ["PAUDE_IMAGE_REBUILD"] = force ? "1" : "0" },
            timeout: TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, $"build-image.sh failed ({run.ExitCode}): {run.StandardError}");
        var parts = run.StandardOutput.Trim().Split(' ');
        Assert.Equal(2, parts.Length);
        return (parts[0], parts[1]);
    }

    private static async Task<string> IdAsync(string image) => (await Podman.CheckAsync("image", "inspect", "--format", "{{.Id}}", image)).Trim();
}
