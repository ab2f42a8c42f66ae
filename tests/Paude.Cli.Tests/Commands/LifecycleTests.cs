using System.Text.Json;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>create / list / status / stop / start / delete through the CLI against real Podman.</summary>
[Collection("podman")]
public sealed class LifecycleTests(SharedSessionFixture shared) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("life");
    private readonly string _workspace = TestRun.NewGitWorkspace("life");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PaudeCli.RunAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Create_list_status_stop_start_delete_round_trip_with_json_fields()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--allowed-domains", "default,nodejs", "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var session = created.Json();
        Assert.Equal(_name, session.GetProperty("name").GetString());
        Assert.Equal("podman", session.GetProperty("backend").GetString());
        Assert.Equal("running", session.GetProperty("status").GetString());
        Assert.Equal(_workspace, session.GetProperty("workspace").GetString());
        Assert.True(session.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.False(string.IsNullOrEmpty(session.GetProperty("agentImage").GetString()));
        Assert.Equal(["default", "nodejs"], session.GetProperty("allowedDomains").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(string.Empty, created.Stderr); // JSON mode: no progress noise

        var list = await PaudeCli.RunAsync("list", "-o", "json");
        Assert.Equal(0, list.ExitCode);
        var listed = list.Json().GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("name").GetString() == _name);
        Assert.Equal("running", listed.GetProperty("status").GetString());

        var stopped = await PaudeCli.RunAsync("stop", _name, "-o", "json");
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.Equal("stopped", stopped.Json().GetProperty("status").GetString());
        Assert.Equal("stopped", (await PaudeCli.RunAsync("status", _name, "-o", "json")).Json().GetProperty("status").GetString());
        var execWhileStopped = await PaudeCli.RunAsync("exec", _name, "--", "true");
        Assert.Equal(6, execWhileStopped.ExitCode);

        var started = await PaudeCli.RunAsync("start", _name, "-o", "json");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Equal("running", started.Json().GetProperty("status").GetString());

        var deleted = await PaudeCli.RunAsync("delete", _name, "-o", "json");
        Assert.Equal(0, deleted.ExitCode);
        Assert.True(deleted.Json().GetProperty("deleted").GetBoolean());
        Assert.Empty(await TestRun.PodmanLeftoversAsync(_name));
        Assert.Equal(3, (await PaudeCli.RunAsync("status", _name)).ExitCode);

        var again = await PaudeCli.RunAsync("delete", _name, "-o", "json");
        Assert.Equal(0, again.ExitCode);
        Assert.False(again.Json().GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Human_output_shows_progress_on_stderr_and_results_on_stdout()
    {
        var status = await PaudeCli.RunAsync("status", shared.Name);
        var list = await PaudeCli.RunAsync("list");
        var stop = await PaudeCli.RunAsync("stop", TestRun.NewSessionName("never-created"));

        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"Name:            {shared.Name}", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Status:          running", status.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Workspace:       {shared.Workspace}", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("NAME", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(list.Stdout.Split('\n'), line => line.StartsWith(shared.Name + " ", StringComparison.Ordinal) && line.Contains("running", StringComparison.Ordinal));
        Assert.Equal(3, stop.ExitCode);
        Assert.Contains("Stopping session", stop.Stderr, StringComparison.Ordinal); // progress line
        Assert.Contains("was not found", stop.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stop.Stdout);
    }

    [Fact]
    public async Task Creating_an_existing_session_exits_4_and_leaves_it_alone()
    {
        var before = (await PaudeCli.RunAsync("status", shared.Name, "-o", "json")).Json();

        var run = await PaudeCli.RunAsync("create", shared.Name, "--workspace", _workspace, "--output", "json");

        Assert.Equal(4, run.ExitCode);
        Assert.Equal("session-already-exists", run.ErrorJson().GetProperty("error").GetProperty("kind").GetString());
        var after = (await PaudeCli.RunAsync("status", shared.Name, "-o", "json")).Json();
        Assert.Equal("running", after.GetProperty("status").GetString());
        Assert.Equal(before.GetProperty("workspace").GetString(), after.GetProperty("workspace").GetString());
        Assert.Equal(before.GetProperty("createdAt").GetDateTimeOffset(), after.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Creating_an_existing_session_in_text_mode_prints_one_quiet_line()
    {
        var run = await PaudeCli.RunAsync("create", shared.Name, "--workspace", _workspace);

        Assert.Equal(4, run.ExitCode);
        // Progress announces the attempt (it cannot know the outcome yet); the outcome is one error line.
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 2, $"expected the progress line and one error line on stderr, got:\n{run.Stderr}");
        Assert.Equal($"Creating session '{shared.Name}'...", lines[0]);
        Assert.Equal($"paude: error: Session '{shared.Name}' already exists on backend 'podman'.", lines[1]);
        Assert.DoesNotContain("removing what was created", run.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("warn", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("start")]
    [InlineData("stop")]
    [InlineData("allowed-domains")]
    [InlineData("exec", "--", "true")]
    public async Task A_missing_session_exits_3(string command, params string[] rest)
    {
        var name = TestRun.NewSessionName("missing");

        var run = await PaudeCli.RunAsync([command, name, "--output", "json", .. rest]); // after "--" everything is the command

        Assert.Equal(3, run.ExitCode);
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("session-not-found", error.GetProperty("kind").GetString());
        Assert.Contains(name, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name));
    }

    [Fact]
    public async Task Verbose_logs_the_failure_with_details_on_stderr_only()
    {
        var name = TestRun.NewSessionName("missing");
        var quiet = await PaudeCli.RunProcessAsync(null, "status", name);
        var verbose = await PaudeCli.RunProcessAsync(null, "status", name, "--verbose");

        Assert.Equal(3, quiet.ExitCode);
        Assert.Equal(3, verbose.ExitCode);
        Assert.Equal(string.Empty, verbose.Stdout);
        Assert.DoesNotContain("dbug:", quiet.Stderr, StringComparison.Ordinal);
        Assert.Contains("dbug: ", verbose.Stderr, StringComparison.Ordinal);
        Assert.Contains("SessionNotFoundException", verbose.Stderr, StringComparison.Ordinal); // the exception, for bug reports
        Assert.Contains($"paude: error: Session '{name}' was not found", verbose.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_a_missing_image_exits_7_and_leaves_nothing()
    {
        var name = TestRun.NewSessionName("noimage");

        var run = await PaudeCli.RunAsync("create", name, "--workspace", _workspace, "--image", "localhost/paude-no-such-image:nope", "-o", "json");

        Assert.Equal(7, run.ExitCode);
        Assert.Contains("localhost/paude-no-such-image:nope", run.ErrorJson().GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name));
    }

    [Fact]
    public async Task Json_list_is_parseable_and_every_session_has_the_documented_fields()
    {
        var list = await PaudeCli.RunAsync("list", "--output", "json");

        Assert.Equal(0, list.ExitCode);
        var sessions = list.Json().GetProperty("sessions");
        Assert.Equal(JsonValueKind.Array, sessions.ValueKind);
        Assert.NotEmpty(sessions.EnumerateArray());
        foreach (var session in sessions.EnumerateArray())
        {
            foreach (var field in new[] { "name", "backend", "status", "statusReason", "workspace", "createdAt", "agentImage", "allowedDomains" })
            {
                Assert.True(session.TryGetProperty(field, out _), $"field '{field}' missing in {session}");
            }
        }
    }
}
