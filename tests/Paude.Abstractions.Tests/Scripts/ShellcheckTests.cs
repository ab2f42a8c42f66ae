namespace Paude.Tests.Scripts;

/// <summary>
/// Every shell script of the repository passes shellcheck: the scripts that run in a session (embedded <c>.sh</c> files
/// under src/), the programs baked into the images (<c>images/*/bin</c>, found by their shebang) and the repository's
/// own scripts. A finding fails the test; a deliberate exception is a <c># shellcheck disable=</c> with its reason in
/// the script. shellcheck is installed by scripts/setup.sh; without it the test fails (never a silent skip).
/// </summary>
public sealed class ShellcheckTests
{
    private static readonly string[] ScriptRoots = ["src", "images", "scripts", "helper"];

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { "bin", "obj", ".git", "node_modules" };

    [Fact]
    public async Task EveryShellScriptPassesShellcheck()
    {
        var scripts = ShellScripts().ToList();
        Assert.Contains(scripts, s => s.EndsWith("port-relay.sh", StringComparison.Ordinal));
        Assert.Contains(scripts, s => s.EndsWith("paude-restore-credentials", StringComparison.Ordinal));
        Assert.True(scripts.Count >= 20, $"only {scripts.Count} scripts found: {string.Join(", ", scripts)}");

        ProcessOutcome outcome;
        try
        {
            // gcc format: one line per finding (file:line:col: severity: message [SCxxxx]); -x follows `source`.
            outcome = await ProcessRunner.RunAsync("shellcheck", ["-x", "-f", "gcc", "--", .. scripts], stdin: null, workingDirectory: RepositoryRoot.Path);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"shellcheck is not installed (scripts/setup.sh installs the Debian package 'shellcheck'): {e.Message}");
            return;
        }

        Assert.True(outcome.ExitCode == 0, $"shellcheck found problems (exit {outcome.ExitCode}):\n{outcome.StandardOutput}{outcome.StandardError}");
    }

    [Fact]
    public void TheFinderTakesImageProgramsByShebangAndSkipsBuildOutput()
    {
        var scripts = ShellScripts().ToList();
        Assert.Contains("images/agent/bin/paude-entrypoint", scripts);
        Assert.DoesNotContain(scripts, s => s.Contains("/obj/", StringComparison.Ordinal));
    }

    /// <summary>Repository-relative paths: every <c>*.sh</c>, and every file in a <c>bin</c> folder of images/ starting with a shell shebang.</summary>
    private static IEnumerable<string> ShellScripts()
    {
        var root = RepositoryRoot.Path;
        foreach (var top in ScriptRoots)
        {
            foreach (var file in Walk(Path.Combine(root, top), insideImages: top == "images"))
            {
                yield return Path.GetRelativePath(root, file).Replace('\\', '/');
            }
        }
    }

    private static IEnumerable<string> Walk(string folder, bool insideImages)
    {
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".sh", StringComparison.Ordinal) || (insideImages && Path.GetFileName(folder) == "bin" && HasShellShebang(file)))
            {
                yield return file;
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            // An image's bin/ holds its programs; everywhere else bin/ and obj/ are build output.
            var name = Path.GetFileName(sub);
            if (SkippedFolders.Contains(name) && !(insideImages && name == "bin"))
            {
                continue;
            }

            foreach (var file in Walk(sub, insideImages))
            {
                yield return file;
            }
        }
    }

    private static bool HasShellShebang(string file)
    {
        using var reader = new StreamReader(file);
        var first = reader.ReadLine() ?? string.Empty;
        return first.StartsWith("#!", StringComparison.Ordinal)
            && (first.EndsWith("/bash", StringComparison.Ordinal) || first.EndsWith("/sh", StringComparison.Ordinal) || first.EndsWith(" bash", StringComparison.Ordinal) || first.EndsWith(" sh", StringComparison.Ordinal));
    }
}
