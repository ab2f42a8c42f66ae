namespace Paude.Cli.Tests;

/// <summary>
/// scripts/public-api.sh on a copy of the repository's build settings and one package with records
/// (<c>Paude.Abstractions</c>), in a git repository of its own outside this one: an unchanged package keeps its
/// baselines byte-identical (the analyzer's RS0016 fix dropped the members the compiler generates for records), a new
/// public record is added with every generated member, a baseline line whose symbol is gone is removed, and the package
/// then builds with warnings as errors.
/// </summary>
public sealed class PublicApiScriptTests
{
    private const string Package = "src/Paude.Abstractions";

    [Fact]
    public async Task Unchanged_baselines_stay_byte_identical_and_a_change_is_added_and_removed_exactly()
    {
        var root = Path.Combine(Path.GetTempPath(), "paude-s18-public-api-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await CopyRepositoryAsync(root);
            var unshipped = Path.Combine(root, Package, "PublicAPI.Unshipped.txt");
            var shipped = Path.Combine(root, Package, "PublicAPI.Shipped.txt");
            var unshippedBefore = await File.ReadAllBytesAsync(unshipped);
            var shippedBefore = await File.ReadAllBytesAsync(shipped);
            Assert.Contains(".<Clone>$() -> ", System.Text.Encoding.UTF8.GetString(unshippedBefore), StringComparison.Ordinal); // records

            var unchanged = await RunAsync(root, "bash", "scripts/public-api.sh", Package);
            Assert.True(unchanged.ExitCode == 0, unchanged.ToString());
            Assert.Equal(unshippedBefore, await File.ReadAllBytesAsync(unshipped));
            Assert.Equal(shippedBefore, await File.ReadAllBytesAsync(shipped));

            // A new public record, and a baseline line whose symbol is gone (removed from the code).
            await File.WriteAllTextAsync(Path.Combine(root, Package, "ScriptProbe.cs"), """
                namespace Paude;

                /// <summary>A record the script must baseline with its generated members.</summary>
                /// <param name="Value">A value.</param>
                public sealed record ScriptProbe(int Value);
                """);
            const string Gone = "Paude.Errors.PaudeException.GoneProbe() -> void";
            await File.AppendAllTextAsync(unshipped, Gone + "\n");

            var changed = await RunAsync(root, "bash", "scripts/public-api.sh", Package);
            Assert.True(changed.ExitCode == 0, changed.ToString());
            var lines = await File.ReadAllLinesAsync(unshipped);
            Assert.DoesNotContain(Gone, lines);
            // Exactly what was there (the records' generated members included) plus the new record's members.
            var before = new HashSet<string>(System.Text.Encoding.UTF8.GetString(unshippedBefore).Split('\n', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
            Assert.Superset(before, new HashSet<string>(lines, StringComparer.Ordinal));
            Assert.All(lines.Where(l => !before.Contains(l)), l => Assert.Contains("Paude.ScriptProbe", l, StringComparison.Ordinal));
            foreach (var member in (string[])[
                "Paude.ScriptProbe.Equals(Paude.ScriptProbe? other) -> bool",
                "Paude.ScriptProbe.Deconstruct(out int Value) -> void",
                "Paude.ScriptProbe.<Clone>$() -> Paude.ScriptProbe!",
                "override Paude.ScriptProbe.GetHashCode() -> int",
                "static Paude.ScriptProbe.operator ==(Paude.ScriptProbe? left, Paude.ScriptProbe? right) -> bool"])
            {
                Assert.Contains(member, lines);
            }

            Assert.Equal(shippedBefore, await File.ReadAllBytesAsync(shipped));
            // --no-incremental: the script's last build left outputs newer than every input, so a plain build skipped the
            // compiler (measured: "Skipping target CoreCompile") and could not report a warning.
            var build = await RunAsync(root, "dotnet", "build", Package, "-c", "Release", "-nologo", "--no-incremental", "--no-restore");
            Assert.True(build.ExitCode == 0, build.ToString());
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>The build settings, the script and the package with the shared source it compiles, committed (MinVer reads git).</summary>
    private static async Task CopyRepositoryAsync(string root)
    {
        foreach (var file in (string[])["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", ".editorconfig", "LICENSE", "src/Directory.Build.props", "scripts/public-api.sh"])
        {
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepositoryRoot.Path, file), target);
        }

        foreach (var folder in (string[])["src/Shared", Package])
        {
            SourceTree.CopyWithoutBuildOutput(Path.Combine(RepositoryRoot.Path, folder), Path.Combine(root, folder));
        }

        foreach (var git in (string[][])[["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "copy"]])
        {
            (await RunAsync(root, "git", git)).EnsureSuccess("git " + git[0]);
        }
    }

    private static Task<ProcessOutcome> RunAsync(string root, string program, params string[] args) =>
        ProcessRunner.RunAsync(program, args, writeStdin: null, workingDirectory: root, timeout: TimeSpan.FromMinutes(15));
}
