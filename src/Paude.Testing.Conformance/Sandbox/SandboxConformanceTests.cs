using Paude.Execution;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>
/// The agent treated as hostile, from inside a real session: every test is an attempt a prompt-injected agent could
/// make (gain root, gain a capability, run a setuid binary, exhaust the host's processes or memory) and asserts it
/// fails. Backend-neutral: only <see cref="ISessionBackend"/> exec is used; a backend derives one class, e.g.
/// <c>public sealed class PodmanSandboxTests(PodmanSandboxFixture f) : SandboxConformanceTests&lt;PodmanSandboxFixture&gt;(f);</c>
/// </summary>
public abstract class SandboxConformanceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ConformanceFixture
{
    /// <summary>The fixture.</summary>
    protected TFixture Fixture { get; } = fixture;

    private ISessionBackend Backend => Fixture.Backend;

    [SkippableFact]
    public async Task Agent_cannot_append_a_root_line_to_etc_passwd_yet_has_a_passwd_entry()
    {
        Fixture.Require(BackendCapabilities.Sandbox);
        var name = await Fixture.SharedSessionAsync();

        var append = await Backend.ExecAsync(name, ["bash", "-c", "echo 'r00t:x:0:0::/root:/bin/bash' >> /etc/passwd"]);
        Assert.NotEqual(0, append.ExitCode);
        Assert.DoesNotContain("r00t", await Backend.CheckAsync(name, "cat", "/etc/passwd"), StringComparison.Ordinal);

        // The arbitrary UID still has a proper user: name, home and shell.
        var who = await Backend.CheckAsync(name, "bash", "-c", "id -un; whoami; getent passwd \"$(id -u)\" | cut -d: -f6,7");
        Assert.Equal(["paude", "paude", "/home/paude:/bin/bash"], who.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public async Task No_setuid_or_setgid_binary_exists_and_su_fails()
    {
        Fixture.Require(BackendCapabilities.Sandbox);
        var name = await Fixture.SharedSessionAsync();

        var found = await Backend.ExecAsync(name, ["bash", "-c", "find / -xdev -type f -perm /6000 2>/dev/null; true"]);
        Assert.Equal(string.Empty, found.StandardOutput.Trim());

        var su = await Backend.ExecAsync(name, ["bash", "-c", "echo | timeout 10 su -c 'id -u' root 2>&1"]);
        Assert.DoesNotContain("\n0\n", "\n" + su.StandardOutput.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.NotEqual(0, su.ExitCode);
    }

    [SkippableFact]
    public async Task Agent_has_no_capabilities_and_cannot_gain_privileges()
    {
        Fixture.Require(BackendCapabilities.Sandbox);
        var name = await Fixture.SharedSessionAsync();

        // Both the exec'd process and the agent's own process tree (PID 1's children) are checked.
        var status = await Backend.CheckAsync(name, "bash", "-c", "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status /proc/1/status");
        var fields = status.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 3)).ToList();
        Assert.Equal(12, fields.Count);
        Assert.All(fields.Where(f => f[1].StartsWith("Cap", StringComparison.Ordinal)), f => Assert.Equal("0000000000000000", f[2].Trim()));
        Assert.All(fields.Where(f => f[1] == "NoNewPrivs"), f => Assert.Equal("1", f[2].Trim()));
    }

    [SkippableFact]
    public async Task A_fork_bomb_is_stopped_by_the_process_limit_and_the_session_survives()
    {
        Fixture.Require(BackendCapabilities.ResourceLimits);
        var name = Fixture.NewName("forkbomb");
        await Fixture.CreateAsync(Fixture.Spec(name) with { Limits = new SessionLimits { Pids = 64 } });

        // The bomb runs in a subshell (bash gives up once fork keeps failing); the outer shell then counts the
        // processes with builtins only (no fork needed at the limit). The sleeps end by themselves; bounded in time.
        var bomb = await Backend.ExecAsync(name, ["bash", "-c",
            "( for i in $(seq 300); do sleep 8 & done ) 2>/tmp/fork.err; p=(/proc/[0-9]*); echo ${#p[@]}; " +
            "while read -r l; do case $l in *fork*) echo refused; break;; esac; done < /tmp/fork.err"]);
        var lines = bomb.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 2, $"exit {bomb.ExitCode}: {bomb.StandardOutput}{bomb.StandardError}");
        Assert.InRange(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), 1, 64);
        Assert.Equal("refused", lines[1]);

        // Once the bomb's processes are gone the session works again.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(40);
        ExecResult alive;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            alive = await Backend.ExecAsync(name, ["echo", "alive"]);
        }
        while (alive.ExitCode != 0 && DateTimeOffset.UtcNow < deadline);
        Assert.Equal("alive", alive.StandardOutput.Trim());
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))?.Status);
    }

    [SkippableFact]
    public async Task A_memory_hog_is_killed_by_the_memory_limit_and_the_session_survives()
    {
        Fixture.Require(BackendCapabilities.ResourceLimits);
        var name = Fixture.NewName("memhog");
        await Fixture.CreateAsync(Fixture.Spec(name) with { Limits = new SessionLimits { MemoryBytes = 128L * 1024 * 1024 } });

        // tail keeps the whole newline-free line in memory: 1 GiB of it must be killed long before it is read.
        var hog = await Backend.ExecAsync(name, ["bash", "-c", "head -c 1073741824 /dev/zero | timeout 60 tail -n 1 >/dev/null; echo \"${PIPESTATUS[1]}\""]);
        Assert.Equal("137", hog.StandardOutput.Trim());

        Assert.Equal("alive", (await Backend.CheckAsync(name, "echo", "alive")).Trim());
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))?.Status);
    }
}
