using System.Formats.Tar;
using System.Text;
using k8s;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Backend;

[Collection(KubeServerCollection.Name)]
public sealed class LifecycleTests(KubeServerFixture fixture)
{
    private ISessionBackend Backend => fixture.Backend;

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(ISessionBackend backend, SessionName name, params string[] argv)
    {
        await using var process = await backend.StartProcessAsync(name, new ProcessSpec(argv));
        var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
        var stderr = new StreamReader(process.StandardError).ReadToEndAsync();
        var exit = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (exit, await stdout, await stderr);
    }

    [Fact]
    public async Task Create_exec_files_stop_start_delete_round_trip_leaves_nothing_behind()
    {
        var name = fixture.NewName("life");
        try
        {
            var created = await Backend.CreateAsync(fixture.Spec(name));
            Assert.Equal(SessionStatus.Running, created.Status);
            Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))!.Status);
            Assert.Contains(await Backend.ListAsync().ToListAsync(), s => s.Name == name && s.Status == SessionStatus.Running);

            var objects = await fixture.SessionObjectsAsync(name);
            foreach (var expected in new[]
            {
                $"statefulset.apps/paude-{name}", $"deployment.apps/proxy-paude-{name}", $"pod/paude-{name}-0",
                $"persistentvolumeclaim/workspace-paude-{name}-0", $"service/paude-{name}", $"service/proxy-paude-{name}",
                $"networkpolicy.networking.k8s.io/paude-{name}", $"networkpolicy.networking.k8s.io/proxy-paude-{name}",
                $"configmap/proxy-paude-{name}",
            })
            {
                Assert.Contains(expected, objects);
            }

            Assert.Contains(objects, o => o.StartsWith($"pod/proxy-paude-{name}-", StringComparison.Ordinal));

            // restricted-v2: an arbitrary non-root UID from the namespace range, GID 0; the agent command ran.
            var id = await RunAsync(Backend, name, "sh", "-c", "id -u; id -g; cat /tmp/agent-started");
            Assert.Equal(0, id.Exit);
            var lines = id.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(long.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture) >= 1000680000, id.Stdout);
            Assert.Equal("0", lines[1]);
            Assert.Equal("started", lines[2]);

            Assert.Equal(3, (await RunAsync(Backend, name, "sh", "-c", "echo out; echo err >&2; exit 3")) is var r && r.Stdout == "out\n" && r.Stderr == "err\n" ? r.Exit : -1);

            // File channel: upload a tar, read it back through exec and download.
            var archive = new MemoryStream();
            await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("hello from the host\n")) };
                await writer.WriteEntryAsync(entry);
            }

            archive.Position = 0;
            await Backend.UploadAsync(name, "/pvc/workspace/in", archive);
            Assert.Equal("hello from the host\n", (await RunAsync(Backend, name, "cat", "/pvc/workspace/in/hello.txt")).Stdout);
            var names = new List<string>();
            await Backend.DownloadAsync(name, "/pvc/workspace/in", async (stream, ct) =>
            {
                await using var reader = new TarReader(stream);
                while (await reader.GetNextEntryAsync(cancellationToken: ct) is { } e)
                {
                    names.Add(e.Name);
                }
            });
            Assert.Contains(names, n => n.EndsWith("hello.txt", StringComparison.Ordinal));

            var stopped = await Backend.StopAsync(name);
            Assert.Equal(SessionStatus.Stopped, stopped.Status);
            Assert.Equal(SessionStatus.Stopped, (await Backend.StopAsync(name)).Status); // idempotent
            Assert.DoesNotContain(await fixture.SessionObjectsAsync(name), o => o.StartsWith("pod/", StringComparison.Ordinal));
            await Assert.ThrowsAsync<SessionNotRunningException>(() => Backend.StartProcessAsync(name, new ProcessSpec(["true"])));

            Assert.Equal(SessionStatus.Running, (await Backend.StartAsync(name)).Status);
            Assert.Equal(SessionStatus.Running, (await Backend.StartAsync(name)).Status); // idempotent
            Assert.Equal("hello from the host\n", (await RunAsync(Backend, name, "cat", "/pvc/workspace/in/hello.txt")).Stdout);

            // The host's state of the session (what two-way sync keeps: its bases) goes with it.
            var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } home ? home
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            var state = Path.Combine(stateHome, "paude", "sessions", Backend.Name, name.Value);
            Directory.CreateDirectory(Path.Combine(state, "two-way"));
            File.WriteAllText(Path.Combine(state, "two-way", "base.json"), "{}");

            Assert.True(await Backend.DeleteAsync(name));
            Assert.False(Directory.Exists(state), "the session's host state is left");
            Assert.Empty(await fixture.SessionObjectsAsync(name));
            Assert.Null(await Backend.GetAsync(name));
            Assert.False(await Backend.DeleteAsync(name));
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Stdin_is_closed_over_v5_and_large_binary_input_round_trips()
    {
        var name = await SharedAsync();
        var payload = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        await using var process = await Backend.StartProcessAsync(name, new ProcessSpec(["sha256sum"]) { RedirectStandardInput = true });
        var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
        var stderr = process.StandardError.CopyToAsync(Stream.Null);
        await process.StandardInput.WriteAsync(payload);
        await process.StandardInput.DisposeAsync();
        Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
        await stderr;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload)), (await stdout).Split(' ')[0]);
    }

    [Fact]
    public async Task Working_directory_and_environment_are_applied_without_a_shell()
    {
        var name = await SharedAsync();
        await using var process = await Backend.StartProcessAsync(name, new ProcessSpec(["sh", "-c", "pwd; echo \"$X\""])
        {
            WorkingDirectory = "/tmp",
            Environment = new Dictionary<string, string> { ["X"] = "a b; $(echo no)" },
        });
        var stdout = await new StreamReader(process.StandardOutput).ReadToEndAsync();
        Assert.Equal(0, await process.WaitForExitAsync());
        Assert.Equal("/tmp\na b; $(echo no)\n", stdout);
    }

    [Fact]
    public async Task A_pod_deleted_mid_exec_gives_a_clear_error_and_no_hang()
    {
        var name = fixture.NewName("podgone");
        try
        {
            await Backend.CreateAsync(fixture.Spec(name));
            await using var process = await Backend.StartProcessAsync(name, new ProcessSpec(["sleep", "600"]));
            using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
            await client.CoreV1.DeleteNamespacedPodAsync($"paude-{name}-0", KubeServerFixture.Namespace, gracePeriodSeconds: 0);
            var error = await Assert.ThrowsAsync<BackendOperationException>(() => process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains("pod", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Creating_twice_fails_typed_and_a_missing_namespace_changes_nothing()
    {
        var name = await SharedAsync();
        await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => Backend.CreateAsync(fixture.Spec(name)));
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))!.Status);

        var elsewhere = fixture.BuildBackend(o => o.Namespace = "no-such-namespace");
        var other = fixture.NewName("nons");
        var e = await Assert.ThrowsAsync<InvalidOptionsException>(() => elsewhere.CreateAsync(fixture.Spec(other)));
        Assert.Contains("no-such-namespace", e.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.SessionObjectsAsync(other));
    }

    [Fact]
    public async Task A_missing_image_fails_fast_with_events_and_rolls_everything_back()
    {
        var name = fixture.NewName("noimage");
        var started = DateTimeOffset.UtcNow;
        var e = await Assert.ThrowsAsync<ImageNotFoundException>(() => Backend.CreateAsync(fixture.Spec(name) with { AgentImage = "localhost/paude-no-such-image:never" }));
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromMinutes(1), "did not fail fast");
        Assert.Contains("localhost/paude-no-such-image:never", e.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    [Fact]
    public async Task Allow_list_change_rolls_the_proxy_without_restarting_the_agent()
    {
        var name = await SharedAsync();
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var agentUid = (await client.CoreV1.ReadNamespacedPodAsync($"paude-{name}-0", KubeServerFixture.Namespace)).Metadata.Uid;
        var before = await Backend.GetEgressPolicyAsync(name);
        Assert.Equal(["allowed.paude.test"], before.Entries);

        var policy = EgressPolicy.Parse(["allowed.paude.test", "later.paude.test"]);
        await Backend.SetEgressPolicyAsync(name, policy);
        Assert.Equal(policy, await Backend.GetEgressPolicyAsync(name));
        Assert.Equal(policy, (await Backend.GetAsync(name))!.Egress);
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))!.Status);
        Assert.Equal(agentUid, (await client.CoreV1.ReadNamespacedPodAsync($"paude-{name}-0", KubeServerFixture.Namespace)).Metadata.Uid);
        var config = await client.CoreV1.ReadNamespacedConfigMapAsync($"proxy-paude-{name}", KubeServerFixture.Namespace);
        Assert.Contains("later.paude.test", config.Data["squid.conf"], StringComparison.Ordinal);

        // The blocked log is read from the running proxy pod (nothing was blocked yet in the new pod).
        var blocked = await Backend.GetBlockedRequestsAsync(name).ToListAsync();
        Assert.Empty(blocked);
    }

    private Task<SessionName> SharedAsync() => SharedSession.GetAsync(fixture);
}
