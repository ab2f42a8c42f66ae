using Paude.Backends.Podman.Backend;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Tests.Backend;

/// <summary>The upgrade image of the class, built once.</summary>
public sealed class UpgradeImageFixture : IAsyncLifetime
{
    public string Image { get; private set; } = null!;

    public async Task InitializeAsync() => Image = await UpgradeImage.BuildAsync("pt" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)));

    public Task DisposeAsync() => UpgradeImage.RemoveAsync(Image);
}

/// <summary>
/// <see cref="ISessionBackend.UpgradeAsync"/> on real Podman: the containers run the new image while the workspace
/// (a commit, an uncommitted edit, a staged file), the agent's state and the credentials (delivered again) stay; an
/// upgrade stopped at every named step (as a kill would: no step is undone) is finished by the next call, the session
/// stays listed, and nothing of the old generation is left.
/// </summary>
public sealed class UpgradeTests(BackendFixture fixture, UpgradeImageFixture image) : IClassFixture<BackendFixture>, IClassFixture<UpgradeImageFixture>
{
    private static readonly string[] Steps = ["intent-recorded", "proxy-removed", "agent-removed", "started"];

    [Fact]
    public async Task Upgrade_runs_the_new_image_and_keeps_workspace_edits_agent_state_and_credentials()
    {
        var name = fixture.NewName("upg");
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { Credentials = ["testsrc"] });
        try
        {
            await UpgradeWork.SeedAsync(fixture.Backend, name);
            var oldAgent = await ContainerIdAsync($"paude-{name}");

            var info = await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = image.Image });

            Assert.Equal(SessionStatus.Running, info.Status);
            Assert.Equal(image.Image, info.AgentImage);
            Assert.NotEqual(oldAgent, await ContainerIdAsync($"paude-{name}"));
            Assert.Equal(await UpgradeImage.ImageIdAsync(image.Image), await UpgradeImage.ContainerImageIdAsync($"paude-{name}"));
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);

            // Credentials were delivered into the new container (its /tmp is new: the restore ran again).
            var token = await fixture.Backend.ExecAsync(name, ["cat", "/tmp/restored-token"]);
            Assert.Equal("secret-for-testsrc", token.StandardOutput);
            Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, 1)], await ResourcesAsync(name));

            // The new record is the session's record now: an agent removed behind our back comes back on the new image.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}");
            Assert.Equal(image.Image, (await fixture.Backend.GetAsync(name))!.AgentImage);
            await fixture.Backend.StartAsync(name);
            Assert.Equal(await UpgradeImage.ImageIdAsync(image.Image), await UpgradeImage.ContainerImageIdAsync($"paude-{name}"));
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }

        Assert.Empty(await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}"));
    }

    [Fact]
    public async Task An_upgrade_stopped_at_any_step_is_finished_by_the_next_call()
    {
        var name = fixture.NewName("upgk");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            await UpgradeWork.SeedAsync(fixture.Backend, name);
            var images = new[] { image.Image, UpgradeImage.BaseImage };
            for (var i = 0; i < Steps.Length; i++)
            {
                var target = images[i % 2];
                var upgrade = new SessionUpgrade { AgentImage = target };
                await UpgradeWork.ThrowsAtAsync(PodmanUpgrader.FaultPoint, Steps[i], () => fixture.Backend.UpgradeAsync(name, upgrade));

                // Killed there: the session is still listed and readable, whatever its containers are.
                Assert.Contains(name, await fixture.Backend.ListAsync().Select(s => s.Name).ToListAsync());

                var info = await fixture.Backend.UpgradeAsync(name, upgrade);
                Assert.Equal(SessionStatus.Running, info.Status);
                Assert.Equal(target, info.AgentImage);
                Assert.Equal(await UpgradeImage.ImageIdAsync(target), await UpgradeImage.ContainerImageIdAsync($"paude-{name}"));
                Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, i + 1)], await ResourcesAsync(name));
            }

            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);

            // A rerun that asks for something else after a kill finishes the pending upgrade first, then does its own.
            await UpgradeWork.ThrowsAtAsync(PodmanUpgrader.FaultPoint, "intent-recorded", () => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = image.Image }));
            var limits = new SessionLimits { MemoryBytes = 300L * 1024 * 1024 };
            var last = await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { Limits = limits });
            Assert.Equal(image.Image, last.AgentImage);
            var memory = (await Podman.InspectAsync($"paude-{name}")).GetProperty("HostConfig").GetProperty("Memory").GetInt64();
            Assert.Equal(limits.MemoryBytes, memory);
            Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, Steps.Length + 2)], await ResourcesAsync(name));
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);
        }
        finally
        {
            Assert.True(await fixture.Backend.DeleteAsync(name));
        }

        Assert.Empty(await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}"));
    }

    [Fact]
    public async Task Upgrade_changes_env_agent_command_limits_and_allow_list_and_keeps_work_state_and_credentials()
    {
        var name = fixture.NewName("upgs");
        await fixture.Backend.CreateAsync(fixture.Spec(name) with
        {
            Credentials = ["testsrc"],
            Environment = new Dictionary<string, string> { ["PAUDE_T_KEEP"] = "old", ["PAUDE_T_GONE"] = "x" },
        });
        try
        {
            await UpgradeWork.SeedAsync(fixture.Backend, name);

            // An allow-list set on the living session is the one an upgrade that leaves the allow-list alone keeps.
            var live = EgressPolicy.Parse(["live.paude.test"]);
            await fixture.Backend.SetEgressPolicyAsync(name, live);
            var limits = new SessionLimits { MemoryBytes = 300L * 1024 * 1024, Cpus = 0.5, Pids = 300, MemoryRequestBytes = 100L * 1024 * 1024 };
            var info = await fixture.Backend.UpgradeAsync(name, new SessionUpgrade
            {
                Environment = new Dictionary<string, string> { ["PAUDE_T_KEEP"] = "new", ["PAUDE_T_ADDED"] = "a b,c=d" },
                AgentCommand = ["bash", "-c", "echo upgraded-agent > /tmp/agent-ran; exec sleep infinity"],
                Limits = limits,
            });

            Assert.Equal(SessionStatus.Running, info.Status);
            Assert.Equal(live, await fixture.Backend.GetEgressPolicyAsync(name));
            var inspect = await Podman.InspectAsync($"paude-{name}");
            var host = inspect.GetProperty("HostConfig");
            Assert.Equal(limits.MemoryBytes, host.GetProperty("Memory").GetInt64());
            Assert.Equal(500_000_000, host.GetProperty("NanoCpus").GetInt64());
            Assert.Equal(300, host.GetProperty("PidsLimit").GetInt64());
            Assert.Equal(limits.MemoryRequestBytes, host.GetProperty("MemoryReservation").GetInt64());
            var env = inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("PAUDE_T_KEEP=new", env);
            Assert.Contains("PAUDE_T_ADDED=a b,c=d", env);
            Assert.DoesNotContain(env, e => e!.StartsWith("PAUDE_T_GONE=", StringComparison.Ordinal));
            Assert.Equal("new|a b,c=d|\n", (await fixture.Backend.ExecAsync(name, ["bash", "-c", "echo \"$PAUDE_T_KEEP|$PAUDE_T_ADDED|$PAUDE_T_GONE\""])).StandardOutput);
            await Eventually.UntilAsync(() => fixture.Backend.ExecAsync(name, ["cat", "/tmp/agent-ran"]), r => r.StandardOutput == "upgraded-agent\n", "the new agent command ran", TimeSpan.FromSeconds(30));
            Assert.Equal("secret-for-testsrc", (await fixture.Backend.ExecAsync(name, ["cat", "/tmp/restored-token"])).StandardOutput);
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);

            // A new allow-list, stopped right after the proxy went (before it is written) and finished by the rerun.
            var widened = EgressPolicy.Parse(["live.paude.test", "later.paude.test"]);
            var upgrade = new SessionUpgrade { Egress = widened };
            await UpgradeWork.ThrowsAtAsync(PodmanUpgrader.FaultPoint, "proxy-removed", () => fixture.Backend.UpgradeAsync(name, upgrade));
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.UpgradeAsync(name, upgrade)).Status);
            Assert.Equal(widened, await fixture.Backend.GetEgressPolicyAsync(name));
            Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, 2)], await ResourcesAsync(name));

            // The record carries what was asked for: an agent removed behind our back comes back with it.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}");
            await fixture.Backend.StartAsync(name);
            Assert.Equal("new|a b,c=d|\n", (await fixture.Backend.ExecAsync(name, ["bash", "-c", "echo \"$PAUDE_T_KEEP|$PAUDE_T_ADDED|$PAUDE_T_GONE\""])).StandardOutput);
            Assert.Equal(limits.MemoryBytes, (await Podman.InspectAsync($"paude-{name}")).GetProperty("HostConfig").GetProperty("Memory").GetInt64());
            Assert.Equal(widened, await fixture.Backend.GetEgressPolicyAsync(name));
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }

        Assert.Empty(await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}"));
    }

    [Fact]
    public async Task A_spec_the_backend_cannot_honour_is_refused_with_every_problem_and_changes_nothing()
    {
        var name = fixture.NewName("upgspec");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            var before = await ContainerIdAsync($"paude-{name}");
            var refused = await Assert.ThrowsAsync<InvalidOptionsException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade
            {
                WorkspaceSizeBytes = 10L << 30,
                Environment = new Dictionary<string, string> { [""] = "x" },
                Agent = SessionAgent.Claude(),
                AgentCommand = ["x"],
                NodeSelector = new Dictionary<string, string> { ["pool"] = "gpu" },
                Tolerations = [new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule")],
            }));
            Assert.Equal(5, refused.Errors.Count);
            Assert.Contains(refused.Errors, e => e.StartsWith("WorkspaceSizeBytes:", StringComparison.Ordinal));
            Assert.Contains(refused.Errors, e => e.StartsWith("NodeSelector: node placement is Kubernetes only", StringComparison.Ordinal));
            Assert.Contains(refused.Errors, e => e.StartsWith("Tolerations: taints and tolerations are Kubernetes only", StringComparison.Ordinal));
            Assert.Contains(refused.Errors, e => e.StartsWith("Environment:", StringComparison.Ordinal));
            Assert.Contains(refused.Errors, e => e.StartsWith("Agent:", StringComparison.Ordinal));
            Assert.Equal(before, await ContainerIdAsync($"paude-{name}"));
            Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, 0)], await ResourcesAsync(name));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Bad_input_and_a_missing_image_change_nothing()
    {
        var name = fixture.NewName("upgbad");
        var invalid = await Assert.ThrowsAsync<InvalidOptionsException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = " ", ProxyImage = "a\nb", Limits = new SessionLimits { Pids = 1 } }));
        Assert.Equal(3, invalid.Errors.Count);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade()));

        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            var before = await ContainerIdAsync($"paude-{name}");
            await Assert.ThrowsAsync<ImageNotFoundException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = "localhost/paude-s13-upgrade-missing:none" }));
            Assert.Equal(before, await ContainerIdAsync($"paude-{name}"));
            Assert.Equal(["container paude-" + name, "container paude-" + name + ".proxy", .. Volumes(name, 0)], await ResourcesAsync(name));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Upgrade_refuses_while_the_sessions_sync_lock_is_held_by_another_process()
    {
        var name = fixture.NewName("upglock");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            var before = await ContainerIdAsync($"paude-{name}");
            var lockFile = Path.Combine(StateHome(), "paude", "sessions", "podman", $"{name}.sync.lock");
            Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);

            // flock(1) in another process holds the lock as a running sync does (an OS lock, exclusive).
            using var holder = System.Diagnostics.Process.Start("flock", ["-x", lockFile, "sleep", "30"]);
            await Eventually.UntilAsync(() => ProcessRunner.RunAsync("flock", ["-n", "-x", lockFile, "true"]), r => r.ExitCode != 0, "flock holds the session's lock", TimeSpan.FromSeconds(10));
            var refused = await Assert.ThrowsAsync<SessionSyncInProgressException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = image.Image }));
            Assert.Equal(lockFile, refused.LockFile);
            Assert.Equal(before, await ContainerIdAsync($"paude-{name}"));
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();

            // sleep inherited flock's descriptor: the lock is free only once sleep is gone too, a moment after flock.
            await Eventually.UntilAsync(() => ProcessRunner.RunAsync("flock", ["-n", "-x", lockFile, "true"]), r => r.ExitCode == 0, "the lock is free again", TimeSpan.FromSeconds(10));

            Assert.Equal(image.Image, (await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = image.Image })).AgentImage);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    private static string StateHome() => Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } s
        ? s
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");

    private static async Task<string> ContainerIdAsync(string container) => (await Podman.CheckAsync("container", "inspect", "--format", "{{.Id}}", container)).Trim();

    private static IEnumerable<string> Volumes(SessionName name, int generation) =>
        [$"volume paude-{name}.proxy-config", $"volume paude-{name}.sock", .. generation > 0 ? [$"volume paude-{name}.upgrade-{generation}"] : Array.Empty<string>(), $"volume paude-{name}.workspace"];

    private static async Task<List<string>> ResourcesAsync(SessionName name)
    {
        var all = await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}");
        return [.. all.Where(r => r.StartsWith("container ", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
            .. all.Where(r => !r.StartsWith("container ", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }
}
