using Paude.Backends.Podman.Backend;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>Status derivation and label round trips (pure functions; the engine-facing paths are in PodmanBackendTests).</summary>
public sealed class StatusAndLabelTests
{
    private static ContainerEntry C(string state, int exit = 0) => new("c", state, exit, new Dictionary<string, string>());

    [Theory]
    [InlineData("running", "running", 0, SessionStatus.Running)]
    [InlineData("running", null, 0, SessionStatus.Degraded)]
    [InlineData("running", "exited", 0, SessionStatus.Degraded)]
    [InlineData("created", "running", 0, SessionStatus.Pending)]
    [InlineData("exited", "exited", 143, SessionStatus.Stopped)]
    [InlineData("exited", "exited", 0, SessionStatus.Stopped)]
    [InlineData("exited", "running", 2, SessionStatus.Error)]
    [InlineData("paused", "running", 0, SessionStatus.Error)]
    public void Status_is_derived_from_agent_and_proxy_state(string agent, string? proxy, int exit, SessionStatus expected)
    {
        var (status, reason) = PodmanState.Derive(C(agent, exit), proxy is null ? null : C(proxy));
        Assert.Equal(expected, status);
        Assert.Equal(expected is SessionStatus.Running or SessionStatus.Stopped, reason is null);
    }

    [Fact]
    public void Missing_agent_is_Degraded_when_the_workspace_volume_can_recreate_it_and_Error_otherwise()
    {
        var (status, reason) = PodmanState.Derive(null, C("running"), canRecreate: true);
        Assert.Equal(SessionStatus.Degraded, status);
        Assert.Contains("agent container is missing", reason, StringComparison.Ordinal);
        Assert.Contains("start the session", reason, StringComparison.Ordinal);

        (status, reason) = PodmanState.Derive(null, null, canRecreate: false);
        Assert.Equal(SessionStatus.Error, status);
        Assert.Contains("delete the session", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_round_trips_through_the_workspace_label_and_garbage_reads_as_empty()
    {
        var labels = new Dictionary<string, string>();
        SessionLabels.AddEnvironment(labels, new Dictionary<string, string> { ["A"] = "x=y, z\n", ["B"] = "ü" });
        Assert.All(labels.Values, v => Assert.Matches("^[A-Za-z0-9_-]+$", v));
        Assert.Equal(new Dictionary<string, string> { ["A"] = "x=y, z\n", ["B"] = "ü" }, SessionLabels.ReadEnvironment(labels));

        labels[SessionLabels.Environment] = SessionLabels.Encode("[not a map");
        Assert.Empty(SessionLabels.ReadEnvironment(labels));
        Assert.Empty(SessionLabels.ReadEnvironment(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData(125, true)]
    [InlineData(126, true)]
    [InlineData(127, true)]
    [InlineData(255, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(124, false)]
    public void Only_the_exit_codes_of_a_failed_podman_exec_trigger_a_state_check(int exitCode, bool check)
        => Assert.Equal(check, Paude.Backends.Podman.Cli.PodmanProcess.IsPodmanFailure(exitCode));

    [Fact]
    public void Session_config_round_trips_through_labels_including_unicode_and_commas()
    {
        var config = new SessionRecord("/home/ü ser/a,b", new DateTimeOffset(2026, 11, 27, 6, 0, 0, TimeSpan.Zero), "img/a:1", "img/p:2",
            EgressPolicy.Parse(["default", "x.test"]), "1000680000:0", false, ["claude", "git"], ["bash", "-c", "echo 'a b'\n"]);
        var labels = SessionLabels.Base("s1", "agent", []);
        SessionLabels.AddConfig(labels, config);
        Assert.All(labels.Values, v => Assert.DoesNotContain('\n', v));
        var back = SessionLabels.ReadConfig(labels, "d", "d");
        Assert.Equal(config.Workspace, back.Workspace);
        Assert.Equal(config.CreatedAt, back.CreatedAt);
        Assert.Equal(config.Egress, back.Egress);
        Assert.Equal(config.AgentCommand, back.AgentCommand);
        Assert.Equal(config.Credentials, back.Credentials);
        Assert.False(back.Headless);
        Assert.Equal("1000680000:0", back.User);
    }

    [Fact]
    public void Garbage_labels_read_as_defaults_instead_of_failing()
    {
        var labels = new Dictionary<string, string>
        {
            [SessionLabelKeys.AllowedDomains] = "%%%not-base64",
            [SessionLabelKeys.AgentArgv] = SessionLabels.Encode("{not json"),
            [SessionLabelKeys.CreatedAt] = "yesterday",
        };
        var back = SessionLabels.ReadConfig(labels, "agent:img", "proxy:img");
        Assert.Equal(EgressPolicy.Default, back.Egress);
        Assert.Equal(["claude"], back.AgentCommand);
        Assert.Null(back.CreatedAt);
        Assert.Equal("agent:img", back.AgentImage);
    }

    [Fact]
    public void A_deny_all_allow_list_reads_back_as_deny_all_not_the_default()
    {
        // A repair re-creates the proxy from these labels: reading "nothing allowed" as the default would widen egress.
        var config = new SessionRecord(null, DateTimeOffset.UnixEpoch, "a", "p", EgressPolicy.Parse([]), null, true, [], ["claude"]);
        var labels = SessionLabels.Base("s1", "agent", []);
        SessionLabels.AddConfig(labels, config);
        var back = SessionLabels.ReadConfig(labels, "d", "d");
        Assert.Empty(back.Egress.Entries);
        Assert.False(back.Egress.Allows("api.anthropic.com"));
    }
}
