namespace Paude.TestSupport;

/// <summary>
/// A second agent image for upgrade tests: <c>FROM localhost/paude-agent:latest</c> plus one label, so it has an image
/// id of its own (an upgrade really changes what the container runs) yet starts like the real one. Tagged with the
/// caller's marker and removed by <see cref="RemoveAsync"/> (only that tag: the base image is shared).
/// </summary>
public static class UpgradeImage
{
    public const string BaseImage = "localhost/paude-agent:latest";

    public static async Task<string> BuildAsync(string marker)
    {
        var tag = $"localhost/paude-agent:s13-upgrade-{marker}";
        var context = Directory.CreateTempSubdirectory("paude-s13-upgrade-image-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context.FullName, "Containerfile"), $"FROM {BaseImage}\nLABEL paude.test.upgrade={marker}\n");
            (await Podman.RunAsync(["build", "--pull=never", "-q", "-t", tag, context.FullName])).EnsureSuccess("podman build of the upgrade image");
            return tag;
        }
        finally
        {
            context.Delete(recursive: true);
        }
    }

    public static Task RemoveAsync(string tag) => Podman.RunAsync(["rmi", "--force", tag]);

    /// <summary>The image id a container runs (what changes on an upgrade, whatever the tags).</summary>
    public static async Task<string> ContainerImageIdAsync(string container) =>
        (await Podman.RunAsync(["container", "inspect", "--format", "{{.Image}}", container])).EnsureSuccess("podman inspect").StandardOutput.Trim();

    /// <summary>The image id behind a reference.</summary>
    public static async Task<string> ImageIdAsync(string image) =>
        (await Podman.RunAsync(["image", "inspect", "--format", "{{.Id}}", image])).EnsureSuccess("podman image inspect").StandardOutput.Trim();

    /// <summary>
    /// A script that puts the work an upgrade must keep into a session: a committed file, an uncommitted edit and a
    /// staged new file in a git repository under the workspace, and the agent's own state under /pvc/.agent.
    /// </summary>
    public const string SeedWorkScript =
        "set -e; mkdir -p /pvc/workspace/up && cd /pvc/workspace/up && git init -q && git config user.email t@t && git config user.name t && " +
        "echo committed > a.txt && git add a.txt && git commit -qm one && echo uncommitted-edit >> a.txt && echo staged > b.txt && git add b.txt && " +
        "mkdir -p /pvc/.agent/claude && echo agent-state-42 > /pvc/.agent/claude/state.json";

    /// <summary>Prints what <see cref="SeedWorkScript"/> left, for comparison with <see cref="ExpectedWork"/>.</summary>
    public const string ReadWorkScript =
        "cd /pvc/workspace/up && git log --format=%s && git status --porcelain && cat a.txt && cat /pvc/.agent/claude/state.json";

    public const string ExpectedWork = "one\n M a.txt\nA  b.txt\ncommitted\nuncommitted-edit\nagent-state-42\n";
}
