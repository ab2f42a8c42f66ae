using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>Upgrade in place: a new spec is in force afterwards, the work in the session is not lost.</summary>
public abstract partial class BackendConformanceTests<TFixture>
{
    [SkippableFact]
    public async Task Upgrade_puts_a_new_environment_allow_list_agent_command_and_limits_in_force_and_keeps_the_work()
    {
        Fixture.Require(BackendCapabilities.Upgrade);
        var limitsToo = (Fixture.Capabilities & BackendCapabilities.ResourceLimits) != 0;
        var egressToo = (Fixture.Capabilities & BackendCapabilities.EgressProxy) != 0;
        var name = Fixture.NewName("upgrade");
        await Fixture.CreateAsync(Fixture.Spec(name) with
        {
            Environment = new Dictionary<string, string> { ["PAUDE_CT_KEPT"] = "old", ["PAUDE_CT_GONE"] = "gone" },
            Limits = new SessionLimits { MemoryBytes = 512L * 1024 * 1024 },
        });

        // The work an upgrade must keep: a commit, an uncommitted edit, a staged file, and the agent's own state.
        var repo = Fixture.SessionPath(name, "/pvc/workspace/upgrade-repo");
        var state = Fixture.SessionPath(name, "/pvc/.agent/conformance-state");
        await Backend.CheckAsync(name, "bash", "-c",
            "set -e; mkdir -p \"$1\" && cd \"$1\" && git init -q -b main && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m base && " +
            "echo committed > a.txt && git add a.txt && git -c user.name=t -c user.email=t@t commit -qm one && echo edit >> a.txt && echo staged > b.txt && git add b.txt && " +
            "mkdir -p \"$(dirname \"$2\")\" && echo agent-state > \"$2\"", "_", repo, state);
        var work = await ReadWorkAsync(name, repo, state);
        Assert.Equal("one\nbase\n M a.txt\nA  b.txt\ncommitted\nedit\nagent-state\n", work);
        var url = $"http://{ConformanceFixture.LaterHost}/";
        if (egressToo)
        {
            Assert.Equal("403", (await CurlWhenProxyListensAsync(name, url)).Status);
        }

        var marker = Fixture.SessionPath(name, "/tmp/agent-upgraded");
        var widened = EgressPolicy.Parse([ConformanceFixture.AllowedHost, ConformanceFixture.LaterHost]);
        var upgraded = await Backend.UpgradeAsync(name, new SessionUpgrade
        {
            Environment = new Dictionary<string, string> { ["PAUDE_CT_KEPT"] = "new", ["PAUDE_CT_ADDED"] = "added" },
            Egress = widened,
            AgentCommand = ["bash", "-c", "echo upgraded > \"$1\"; exec sleep infinity", "agent", marker],
            Limits = limitsToo ? new SessionLimits { MemoryBytes = 256L * 1024 * 1024 } : null,
        });

        Assert.Equal(SessionStatus.Running, upgraded.Status);
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))?.Status);
        Assert.Equal(work, await ReadWorkAsync(name, repo, state));
        Assert.Equal("new|added|\n", await Backend.CheckAsync(name, "bash", "-c", "echo \"$PAUDE_CT_KEPT|$PAUDE_CT_ADDED|$PAUDE_CT_GONE\""));
        Assert.Equal("upgraded\n", await WaitForFileAsync(name, marker));
        Assert.Equal(widened, await Backend.GetEgressPolicyAsync(name));
        if (egressToo)
        {
            var (_, status, body) = await CurlUntilAsync(name, url, "200");
            Assert.Equal("200", status);
            Assert.Equal(ConformanceFixture.OutsideBody, body);
            Assert.Equal("403", (await CurlWhenProxyListensAsync(name, $"http://{ConformanceFixture.DeniedHost}/")).Status);
        }

        if (limitsToo)
        {
            // The cgroup's own memory limit as the session sees it (cgroup v2, else v1).
            var limit = await Backend.CheckAsync(name, "bash", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes");
            Assert.Equal((256L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), limit.Trim());
        }

        // Bad input changes nothing: every problem is listed, the session runs as it was upgraded.
        var invalid = await Assert.ThrowsAsync<Errors.InvalidOptionsException>(() => Backend.UpgradeAsync(name, new SessionUpgrade
        {
            Environment = new Dictionary<string, string> { ["A=B"] = "x" },
            AgentCommand = [],
            Limits = new SessionLimits { Pids = 1 },
        }));
        Assert.Equal(3, invalid.Errors.Count);
        Assert.Equal("new|added|\n", await Backend.CheckAsync(name, "bash", "-c", "echo \"$PAUDE_CT_KEPT|$PAUDE_CT_ADDED|$PAUDE_CT_GONE\""));
        Assert.Equal(widened, await Backend.GetEgressPolicyAsync(name));
    }

    private async Task<string> ReadWorkAsync(SessionName name, string repo, string state) =>
        await Backend.CheckAsync(name, "bash", "-c", "cd \"$1\" && git log --format=%s && git status --porcelain && cat a.txt && cat \"$2\"", "_", repo, state);

    /// <summary>The agent command runs once the container starts, a moment after the upgrade returns.</summary>
    private async Task<string> WaitForFileAsync(SessionName name, string path)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var read = await Backend.ExecAsync(name, ["cat", path]);
            if (read.ExitCode == 0 || DateTimeOffset.UtcNow > deadline)
            {
                return read.StandardOutput;
            }

            await Task.Delay(200);
        }
    }
}
