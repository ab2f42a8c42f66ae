using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Output;

/// <summary>
/// What a hostile session puts in its git history (an ESC sequence in a commit subject, in a file name) never reaches
/// the user's terminal raw through paude's output: no OSC 52 clipboard write, no title change, no carriage return or
/// cursor move hiding a line. Real Podman session, real git.
/// </summary>
[Collection("podman")]
public sealed class TerminalOutputTests : IAsyncLifetime
{
    // OSC 52 (write the clipboard), OSC 0 (window title), erase the line, carriage return, a right-to-left override.
    private const string HostileSubject = "\u001b]52;c;cHduZWQ=\u0007\u001b]0;pwned\u0007\u001b[2K\rall good \u202e";
    private const string HostileFile = "x\u001b]52;c;cHduZWQ=\u0007\u009b2K.txt";

    private readonly string _name = TestRun.NewSessionName("escape");
    private readonly string _workspace = TestRun.NewGitWorkspace("escape");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PaudeCli.RunAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Session_commit_subjects_and_file_names_reach_the_terminal_escaped()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.True(created.ExitCode == 0, created.ToString());
        var pushed = await PaudeCli.RunAsync("sync", _name, "--direction", "to");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());

        // The session commits a file with an ESC sequence in its name, under a subject full of them.
        var work = await PaudeCli.RunProcessAsync(null, "exec", _name, "--", "bash", "-c",
            "cd /pvc/workspace && printf 'session\\n' > \"$1\" && git add -A && git -c user.name=A -c user.email=a@b commit -qm \"$2\"",
            "bash", HostileFile, HostileSubject);
        Assert.True(work.ExitCode == 0, work.ToString());

        // A push is refused naming the session's commit (its subject).
        var refused = await PaudeCli.RunAsync("sync", _name, "--direction", "to");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("all good", refused.Stderr, StringComparison.Ordinal);
        AssertNoRawControl(refused);

        // A merge that conflicts on the session's file name lists that path.
        await File.WriteAllTextAsync(Path.Combine(_workspace, HostileFile), "local\n");
        TestRun.Git(_workspace, "add", "-A");
        TestRun.Git(_workspace, "-c", "user.name=Test", "-c", "user.email=test@paude.invalid", "commit", "-q", "-m", "local side");
        var conflict = await PaudeCli.RunAsync("sync", _name, "--strategy", "merge");
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("x\\u001b]52;c;cHduZWQ=\\u0007\\u009b2K.txt", conflict.Stderr, StringComparison.Ordinal);
        AssertNoRawControl(conflict);

        // JSON stays valid; its message shows the name as the error's message does (escaped by the SDK already).
        var json = await PaudeCli.RunAsync("sync", _name, "--strategy", "merge", "-o", "json");
        AssertNoRawControl(json);
        Assert.Contains("x\\u001b]52;c;cHduZWQ=\\u0007\\u009b2K.txt", json.ErrorJson().GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("local\n", await File.ReadAllTextAsync(Path.Combine(_workspace, HostileFile)));
    }

    private static void AssertNoRawControl(CliRun run)
    {
        foreach (var (stream, text) in new[] { ("stdout", run.Stdout), ("stderr", run.Stderr) })
        {
            var bad = text.Where(c => (char.IsControl(c) && c is not '\n' and not '\t') || c is >= '\u202a' and <= '\u202e').ToList();
            Assert.True(bad.Count == 0, $"{stream} carries raw control characters {string.Join(' ', bad.Select(c => $"U+{(int)c:X4}"))}: {run}");
        }
    }
}
