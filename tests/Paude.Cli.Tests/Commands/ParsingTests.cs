using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>What the CLI does before it reaches a backend: help, usage errors, name validation, exit codes.</summary>
public sealed class ParsingTests
{
    [Fact]
    public async Task Help_lists_every_command_and_exits_0()
    {
        var run = await PaudeCli.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "create", "start", "stop", "delete", "list", "status", "exec", "connect", "allowed-domains", "blocked-domains", "upload", "download" })
        {
            Assert.Contains(command, run.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("--output", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stderr);
    }

    [Fact]
    public async Task Help_of_download_offers_the_raw_copy_and_says_git_metadata_is_left_out()
    {
        var run = await PaudeCli.RunAsync("download", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--include-git-metadata", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("git metadata is left out", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_of_a_command_shows_its_options()
    {
        var run = await PaudeCli.RunAsync("create", "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--allowed-domains", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--agent-command", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("--no-headless", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "UPPER")]
    [InlineData("status", "has space")]
    [InlineData("start", "..")]
    [InlineData("delete", "-leading-dash")]
    [InlineData("stop", "a-name-that-is-far-too-long-for-every-derived-resource-name")]
    public async Task Invalid_session_name_exits_2_with_the_rule(string command, string name)
    {
        var run = await PaudeCli.RunAsync(command, name);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"Invalid session name '{name}'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("lowercase letters", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal); // no stack trace
        Assert.Equal(string.Empty, run.Stdout);
    }

    [Fact]
    public async Task Invalid_name_in_json_mode_writes_a_structured_error_on_stderr()
    {
        var run = await PaudeCli.RunAsync("status", "Nope", "--output", "json");

        Assert.Equal(2, run.ExitCode);
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal(2, error.GetProperty("exitCode").GetInt32());
        Assert.Equal("invalid-session-name", error.GetProperty("kind").GetString());
        Assert.Contains("Nope", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, error.GetProperty("errors").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_backend_exits_2_and_names_the_registered_ones()
    {
        var run = await PaudeCli.RunAsync("list", "--backend", "nosuchbackend");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown backend", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("'nosuchbackend'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("podman", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("exec", "demo")] // no command after the name
    [InlineData("frobnicate")]
    [InlineData("list", "--output", "yaml")]
    [InlineData("allowed-domains", "demo", "--add", "x.com", "--remove", "y.com")]
    public async Task Usage_errors_exit_2_and_point_to_help(params string[] args)
    {
        var run = await PaudeCli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("paude: error:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_reports_every_problem_of_the_spec_together_before_touching_the_backend()
    {
        var missing = Path.Combine(Path.GetTempPath(), "paude-cli-missing-" + Guid.NewGuid().ToString("N"));

        var run = await PaudeCli.RunAsync("create", "okname", "--workspace", missing, "--user", "root", "--allowed-domains", "not a host!");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("not a host!", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_lists_every_spec_error_at_once()
    {
        var missing = Path.Combine(Path.GetTempPath(), "paude-cli-missing-" + Guid.NewGuid().ToString("N"));

        var run = await PaudeCli.RunAsync("create", "okname", "--workspace", missing, "--user", "root", "--agent-command", "''", "--output", "json");

        Assert.Equal(2, run.ExitCode);
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-session-spec", error.GetProperty("kind").GetString());
        var errors = error.GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.StartsWith("Workspace:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("User:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("AgentCommand:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_refuses_agent_with_agent_command_and_unknown_agents_listing_both()
    {
        var run = await PaudeCli.RunAsync("create", "okname", "--workspace", Path.GetTempPath(), "--agent", "vim", "--agent-command", "bash", "--output", "json");

        Assert.Equal(2, run.ExitCode);
        var errors = run.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("Agent: --agent and --agent-command exclude each other", errors);
        var alone = await PaudeCli.RunAsync("create", "okname", "--workspace", Path.GetTempPath(), "--agent-args", "-p hi", "--output", "json");
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("Agent: --agent-args needs --agent", alone.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        var unknown = await PaudeCli.RunAsync("create", "okname", "--workspace", Path.GetTempPath(), "--agent", "vim", "--output", "json");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains(unknown.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("Agent: unknown agent 'vim'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Process_entry_point_returns_the_same_exit_codes()
    {
        var help = await PaudeCli.RunProcessAsync(null, "--help");
        var bad = await PaudeCli.RunProcessAsync(null, "status", "Bad_Name");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("allowed-domains", help.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("paude: error: Invalid session name 'Bad_Name'", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, bad.Stdout);
    }

    [Fact]
    public async Task Podman_missing_exits_5_and_names_the_prerequisite()
    {
        var env = new Dictionary<string, string> { ["PAUDE_PODMAN_PATH"] = "/nonexistent/bin/podman" };

        var run = await PaudeCli.RunProcessAsync(null, env, "list", "--output", "json");

        Assert.Equal(5, run.ExitCode);
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("backend-unavailable", error.GetProperty("kind").GetString());
        Assert.Contains("podman", error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(string.Empty, run.Stdout);
    }
}
