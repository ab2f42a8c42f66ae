using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Exec;
using Paude.Credentials;

namespace Paude.Backends.OpenShift.Tests.Exec;

/// <summary>
/// The OpenShift backend's session scripts run directly on the host (no pod): the working-directory wrapper
/// (<c>Exec/Scripts/change-directory.sh</c>), the upload extractor (<c>Exec/Scripts/upload-extract.sh</c>, with real
/// tar) and the credentials wrapper's text, which must stay byte for byte what the StatefulSet already holds.
/// </summary>
public sealed class OpenShiftScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("paude-os-script-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ChangeDirectoryEntersAHostileFolderAndRunsTheCommandWithItsArgumentsUnchanged()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "-n a\nb $(touch pwned)")).FullName;

        var outcome = await ProcessRunner.RunAsync("/bin/sh", ["-c", ExecCommand.ChangeDirectory, "paude-cd", folder, "sh", "-c", "pwd; printf '%s|' \"$@\"", "x", "-e", "a b"], stdin: null, workingDirectory: _root);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(folder + "\n-e|a b|", outcome.StandardOutput);
        Assert.False(File.Exists(Path.Combine(_root, "pwned")));
    }

    [Fact]
    public async Task ChangeDirectoryExits126WhenTheFolderCannotBeEntered()
    {
        var outcome = await ProcessRunner.RunAsync("/bin/sh", ["-c", ExecCommand.ChangeDirectory, "paude-cd", Path.Combine(_root, "missing"), "true"]);

        Assert.Equal(126, outcome.ExitCode);
        Assert.NotEmpty(outcome.StandardError);
    }

    [Fact]
    public async Task UploadExtractCreatesTheFolderAndExtractsTheArchive()
    {
        var source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "-f"), "dash");
        var archive = await ProcessRunner.RunBinaryAsync("tar", ["-C", source, "-cf", "-", "--", "-f"]);
        var target = Path.Combine(_root, "-t a\nb", "deep");

        var outcome = await ProcessRunner.RunAsync("/bin/sh", [Script("Exec/Scripts/upload-extract.sh"), target], new MemoryStream(archive.ToArray()));

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal("dash", await File.ReadAllTextAsync(Path.Combine(target, "-f")));
    }

    [Fact]
    public async Task UploadExtractFailsOnATruncatedArchive()
    {
        var outcome = await ProcessRunner.RunAsync("/bin/sh", [Script("Exec/Scripts/upload-extract.sh"), _root], new MemoryStream(Enumerable.Repeat((byte)'x', 1000).ToArray()));

        Assert.NotEqual(0, outcome.ExitCode);
    }

    [Fact]
    public void CredentialsWrapperTextIsByteForByteWhatOlderVersionsStored()
    {
        // The text as the C# string built it before the script became a file: a change would restart every pod.
        var before = "set -eu\n"
            + "links=$(mktemp -d)\n"
            + "for f in \"$1\"/*/*; do if [ -f \"$f\" ]; then ln -s -- \"$f\" \"$links/\"; fi; done\n"
            + CredentialParts.RestoreScript + " --parts \"$links\" " + CredentialPodSpec.CredentialsPath + "\n"
            + "rm -rf -- \"$links\"\n"
            + ": > " + CredentialPodSpec.RestoredMarker + "\n"
            + "exec " + CredentialPodSpec.Entrypoint + "\n";

        Assert.Equal(before, CredentialPodSpec.WrapperScript);
    }

    // The file itself, run as `sh FILE ARG`: SessionScript.Load sends it without its leading comment block (same behaviour).
    private static string Script(string relative) =>
        Path.Combine(RepositoryRoot.Path, "src", "Paude.Backends.OpenShift", relative);
}
