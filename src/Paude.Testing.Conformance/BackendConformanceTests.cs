using System.Security.Cryptography;
using System.Text;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>
/// The behaviour every backend must show, against the real thing. Derive once per backend with its fixture:
/// <c>public sealed class PodmanConformanceTests(PodmanConformanceFixture f) : BackendConformanceTests&lt;PodmanConformanceFixture&gt;(f);</c>
/// Tests of one class run one after another, so they share the fixture's running session.
/// </summary>
public abstract partial class BackendConformanceTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ConformanceFixture
{
    /// <summary>The fixture.</summary>
    protected TFixture Fixture { get; } = fixture;

    private ISessionBackend Backend => Fixture.Backend;

    [Fact]
    public async Task Lifecycle_round_trip_create_stop_start_delete_leaves_nothing_behind()
    {
        var name = Fixture.NewName("life");

        var created = await Fixture.CreateAsync(Fixture.Spec(name));
        Assert.Equal(SessionStatus.Running, created.Status);
        Assert.Equal(name, created.Name);
        Assert.Equal(Backend.Name, created.Backend);
        Assert.Equal(SessionStatus.Running, (await Backend.GetAsync(name))?.Status);
        Assert.Contains(await ListAsync(), s => s.Name == name && s.Status == SessionStatus.Running);
        Assert.Equal("started\n", await Backend.CheckAsync(name, "cat", Fixture.SessionPath(name, "/tmp/agent-started")));
        Assert.NotEmpty(await Fixture.ListSessionResourcesAsync(name));

        var stopped = await Backend.StopAsync(name);
        Assert.Equal(SessionStatus.Stopped, stopped.Status);
        Assert.Equal(SessionStatus.Stopped, (await Backend.GetAsync(name))?.Status);
        Assert.Equal(SessionStatus.Stopped, (await Backend.StopAsync(name)).Status); // idempotent
        await Assert.ThrowsAsync<SessionNotRunningException>(() => Backend.ExecAsync(name, ["true"]));
        await Assert.ThrowsAsync<SessionNotRunningException>(() => Backend.UploadAsync(name, Fixture.SessionPath(name, "/tmp"), EmptyTar()));

        var started = await Backend.StartAsync(name);
        Assert.Equal(SessionStatus.Running, started.Status);
        Assert.Equal(SessionStatus.Running, (await Backend.StartAsync(name)).Status); // idempotent
        Assert.Equal("ok\n", await Backend.CheckAsync(name, "echo", "ok"));

        Assert.True(await Backend.DeleteAsync(name));
        Assert.Null(await Backend.GetAsync(name));
        Assert.DoesNotContain(await ListAsync(), s => s.Name == name);
        Assert.Empty(await Fixture.ListSessionResourcesAsync(name));
        Assert.False(await Backend.DeleteAsync(name));
    }

    [Fact]
    public async Task Missing_session_reads_as_null_and_operations_fail_typed()
    {
        var name = Fixture.NewName("missing");

        Assert.Null(await Backend.GetAsync(name));
        Assert.False(await Backend.DeleteAsync(name));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => Backend.StartAsync(name));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => Backend.ExecAsync(name, ["true"]));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => Backend.UploadAsync(name, Fixture.SessionPath(name, "/tmp"), EmptyTar()));
        Assert.Empty(await Fixture.ListSessionResourcesAsync(name));
    }

    // An archive holding only tar's end-of-archive blocks.
    private static MemoryStream EmptyTar() => new(new byte[1024]);

    [Fact]
    public async Task Workspace_files_and_git_history_survive_stop_and_start()
    {
        var name = await Fixture.SharedSessionAsync();
        var repo = Fixture.SessionPath(name, "/pvc/workspace/persist-repo");
        await Backend.CheckAsync(name, "mkdir", "-p", repo);
        await Backend.CheckAsync(name, "git", "-C", repo, "init", "-q", "-b", "main");
        await Backend.CheckAsync(name, "bash", "-c", "printf 'v1\\n' > \"$1/file.txt\"", "_", repo);
        await Backend.CheckAsync(name, "git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A");
        await Backend.CheckAsync(name, "git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first commit");
        await Backend.CheckAsync(name, "bash", "-c", "printf 'v2\\n' > \"$1/file.txt\"", "_", repo);
        await Backend.CheckAsync(name, "git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "second commit");
        var headBefore = await Backend.CheckAsync(name, "git", "-C", repo, "rev-parse", "HEAD");

        try
        {
            Assert.Equal(SessionStatus.Stopped, (await Backend.StopAsync(name)).Status);
        }
        finally
        {
            Assert.Equal(SessionStatus.Running, (await Backend.StartAsync(name)).Status);
        }

        Assert.Equal(headBefore, await Backend.CheckAsync(name, "git", "-C", repo, "rev-parse", "HEAD"));
        Assert.Equal("second commit\nfirst commit\n", await Backend.CheckAsync(name, "git", "-C", repo, "log", "--format=%s"));
        Assert.Equal("v2\n", await Backend.CheckAsync(name, "cat", repo + "/file.txt"));
        Assert.Equal(string.Empty, await Backend.CheckAsync(name, "git", "-C", repo, "status", "--porcelain"));
    }

    [Fact]
    public async Task Exec_reports_exit_codes_and_keeps_stdout_and_stderr_apart()
    {
        var name = await Fixture.SharedSessionAsync();

        var result = await Backend.ExecAsync(name, ["bash", "-c", "echo out; echo err >&2; exit 7"]);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
        Assert.Equal(0, (await Backend.ExecAsync(name, ["true"])).ExitCode);
        Assert.Equal(1, (await Backend.ExecAsync(name, ["false"])).ExitCode);
    }

    [Fact]
    public async Task Exec_passes_arguments_verbatim_without_a_shell()
    {
        var name = await Fixture.SharedSessionAsync();

        var output = await Backend.CheckAsync(name, "printf", "%s|", "a b", "$HOME", "'q'", "`id`", "; rm -rf /", "ünï");

        Assert.Equal("a b|$HOME|'q'|`id`|; rm -rf /|ünï|", output);
    }

    [SkippableFact]
    public async Task Exec_runs_as_the_session_user()
    {
        Fixture.Require(BackendCapabilities.SessionUser);
        var name = await Fixture.SharedSessionAsync();

        Assert.Equal("1000680000 0\n", await Backend.CheckAsync(name, "bash", "-c", "echo \"$(id -u) $(id -g)\""));
    }

    [Fact]
    public async Task Exec_runs_in_the_working_directory_with_the_environment()
    {
        var name = await Fixture.SharedSessionAsync();
        var directory = Fixture.SessionPath(name, "/tmp");

        var spec = new ProcessSpec(["bash", "-c", "pwd -P; echo \"$PAUDE_TEST_VALUE\""])
        {
            WorkingDirectory = directory,
            Environment = new Dictionary<string, string> { ["PAUDE_TEST_VALUE"] = "a value with spaces" },
        };
        var result = await Backend.ExecAsync(name, spec, standardInput: null);
        var physical = await Backend.CheckAsync(name, "realpath", directory);
        Assert.Equal($"{physical}a value with spaces\n", result.StandardOutput);
    }

    [Fact]
    public async Task Exec_streams_stdin_to_the_process()
    {
        var name = await Fixture.SharedSessionAsync();
        var data = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(data);

        var result = await Backend.ExecAsync(name, new ProcessSpec(["sha256sum"]), new MemoryStream(data));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "  -\n", result.StandardOutput);
    }

    [Fact]
    public async Task Exec_streams_large_output_on_both_streams()
    {
        var name = await Fixture.SharedSessionAsync();
        const long Size = 40L * 1024 * 1024;
        var process = await Backend.StartProcessAsync(name, new ProcessSpec(["bash", "-c", $"head -c {Size} /dev/zero; echo done >&2; exit 3"]));
        await using (process)
        {
            long stdout = 0;
            var stderr = new StringBuilder();
            await foreach (var chunk in process.ReadOutputAsync())
            {
                if (chunk.Kind == OutputKind.StandardOutput)
                {
                    Assert.True(chunk.Data.Span.IndexOfAnyExcept((byte)0) < 0);
                    stdout += chunk.Data.Length;
                }
                else
                {
                    stderr.Append(Encoding.UTF8.GetString(chunk.Data.Span));
                }
            }

            Assert.Equal(Size, stdout);
            Assert.Equal("done\n", stderr.ToString());
            Assert.Equal(3, await process.WaitForExitAsync());
        }
    }

    [Fact]
    public async Task File_channel_round_trip_keeps_binary_content_modes_links_unicode_names_and_empty_dirs()
    {
        var name = await Fixture.SharedSessionAsync();
        var local = Directory.CreateTempSubdirectory("paude-ct-up-").FullName;
        var back = local + "-back";
        try
        {
            var random = new Random(11);
            var blob = new byte[2 * 1024 * 1024];
            random.NextBytes(blob);
            await File.WriteAllBytesAsync(Path.Combine(local, "blob.bin"), blob);
            await File.WriteAllTextAsync(Path.Combine(local, "run.sh"), "#!/bin/sh\necho ran\n");
            File.SetUnixFileMode(Path.Combine(local, "run.sh"), (UnixFileMode)0x1ED);
            Directory.CreateDirectory(Path.Combine(local, "ünï cødé", "日本"));
            await File.WriteAllTextAsync(Path.Combine(local, "ünï cødé", "日本", "ファイル.txt"), "unicode");
            Directory.CreateDirectory(Path.Combine(local, "empty", "deeper-empty"));
            File.CreateSymbolicLink(Path.Combine(local, "link"), "run.sh");
            var deep = Path.Combine(local, new string('d', 100), new string('e', 100));
            Directory.CreateDirectory(deep);
            await File.WriteAllTextAsync(Path.Combine(deep, new string('f', 200)), "long");
            var container = Fixture.SessionPath(name, $"/pvc/workspace/ft-{Guid.NewGuid():N}");

            await DirectoryChannel.UploadAsync(Backend, name, local, container, exclude: null, CancellationToken.None);

            Assert.Equal("ran\n", await Backend.CheckAsync(name, container + "/run.sh"));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(blob)) + "\n", await Backend.CheckAsync(name, "bash", "-c", "sha256sum < \"$1\" | cut -d' ' -f1", "_", container + "/blob.bin"));
            Assert.Equal("run.sh\n", await Backend.CheckAsync(name, "readlink", container + "/link"));

            await DirectoryChannel.DownloadAsync(Backend, name, container, back, includeGitMetadata: false, CancellationToken.None);

            Assert.Equal(TreeSnapshot.Describe(local), TreeSnapshot.Describe(back));
        }
        finally
        {
            Directory.Delete(local, recursive: true);
            if (Directory.Exists(back))
            {
                Directory.Delete(back, recursive: true);
            }
        }
    }

    [Fact]
    public async Task File_channel_moves_ten_thousand_files_both_ways()
    {
        var name = await Fixture.SharedSessionAsync();
        var local = Directory.CreateTempSubdirectory("paude-ct-10k-").FullName;
        var back = local + "-back";
        try
        {
            for (var d = 0; d < 100; d++)
            {
                var dir = Directory.CreateDirectory(Path.Combine(local, $"dir{d:D3}")).FullName;
                for (var f = 0; f < 100; f++)
                {
                    await File.WriteAllTextAsync(Path.Combine(dir, $"file{f:D3}.txt"), $"content {d} {f}\n");
                }
            }

            var container = Fixture.SessionPath(name, $"/pvc/workspace/many-{Guid.NewGuid():N}");
            await DirectoryChannel.UploadAsync(Backend, name, local, container, exclude: null, CancellationToken.None);
            Assert.Equal("10000\n", await Backend.CheckAsync(name, "bash", "-c", "find \"$1\" -type f | wc -l", "_", container));

            await DirectoryChannel.DownloadAsync(Backend, name, container, back, includeGitMetadata: false, CancellationToken.None);
            Assert.Equal(TreeSnapshot.Describe(local), TreeSnapshot.Describe(back));
            await Backend.CheckAsync(name, "rm", "-rf", container);
        }
        finally
        {
            Directory.Delete(local, recursive: true);
            if (Directory.Exists(back))
            {
                Directory.Delete(back, recursive: true);
            }
        }
    }

    [Fact]
    public async Task File_channel_uploads_a_large_mixed_tree_byte_for_byte()
    {
        // Multi-MiB files between thousands of small ones, ~30 MiB in all: the stream crosses the transport's frame
        // and buffer sizes many times over.
        var name = await Fixture.SharedSessionAsync();
        var local = Directory.CreateTempSubdirectory("paude-ct-mixed-").FullName;
        try
        {
            var random = new Random(5000);
            var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var f = 0; f < 2000; f++)
            {
                var relative = $"d{f % 37:D2}/{(f < 5 ? $"blob{f}.bin" : $"file{f:D4}.txt")}";
                var content = new byte[f < 5 ? (f + 1) * 1024 * 1024 : 1024 + (int)(Math.Pow(random.NextDouble(), 2) * 19 * 1024)];
                random.NextBytes(content);
                Directory.CreateDirectory(Path.Combine(local, Path.GetDirectoryName(relative)!));
                await File.WriteAllBytesAsync(Path.Combine(local, relative), content);
                expected[relative] = Convert.ToHexStringLower(SHA256.HashData(content));
            }

            var container = Fixture.SessionPath(name, $"/pvc/workspace/mixed-{Guid.NewGuid():N}");
            await DirectoryChannel.UploadAsync(Backend, name, local, container, exclude: null, CancellationToken.None);

            var listing = await Backend.CheckAsync(name, "bash", "-c", "cd \"$1\" && find . -type f -print0 | xargs -0 sha256sum", "_", container);
            var actual = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                actual[line[(line.IndexOf("./", StringComparison.Ordinal) + 2)..]] = line[..64];
            }

            Assert.Equal(expected, actual);
            await Backend.CheckAsync(name, "rm", "-rf", container);
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Allowed_host_is_reachable_through_the_proxy()
    {
        Fixture.Require(BackendCapabilities.EgressProxy);
        var name = await Fixture.SharedSessionAsync();

        var (exit, status, body) = await CurlWhenProxyListensAsync(name, $"http://{ConformanceFixture.AllowedHost}/");

        Assert.True(exit == 0 && status == "200", $"curl exited {exit} with status {status}");
        Assert.Equal(ConformanceFixture.OutsideBody, body);
    }

    [SkippableFact]
    public async Task Denied_host_is_refused_with_403_and_appears_in_the_blocked_requests()
    {
        Fixture.Require(BackendCapabilities.EgressProxy);
        var name = await Fixture.SharedSessionAsync();

        var (exit, status, _) = await CurlWhenProxyListensAsync(name, $"http://{ConformanceFixture.DeniedHost}/private");

        Assert.True(status == "403", $"expected 403, got status {status} (curl exit {exit})");

        // squid writes its access-log line as the transaction ends, a moment after curl has its answer.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        List<BlockedRequest> blocked;
        while (!(blocked = await Backend.GetBlockedRequestsAsync(name).ToListAsync()).Any(b => b.Host == ConformanceFixture.DeniedHost && b.Method == "GET"))
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"the refused request is not in the blocked requests within 30 s: {string.Join(", ", blocked)}");
            await Task.Delay(200);
        }

        Assert.DoesNotContain(blocked, b => b.Host == ConformanceFixture.AllowedHost);
    }

    [SkippableFact]
    public async Task Direct_connection_bypassing_the_proxy_fails()
    {
        Fixture.Require(BackendCapabilities.NetworkIsolation);
        var name = await Fixture.SharedSessionAsync();
        if (!Fixture.EnforcesNetworkIsolation)
        {
            // The test environment does not run the component that enforces the isolation (the Kubernetes test
            // server stores NetworkPolicies but has no network plugin): a direct connection would succeed there
            // and prove nothing about a real cluster. Assert the declared isolation that blocks it instead.
            await Fixture.AssertNetworkIsolationDeclaredAsync(name);
            return;
        }

        var address = await Fixture.OutsideAddressAsync();

        var byName = await Backend.CurlAsync(name, $"http://{ConformanceFixture.AllowedHost}/", bypassProxy: true);
        var byAddress = await Backend.CurlAsync(name, $"http://{address}/", bypassProxy: true);

        Assert.NotEqual(0, byName.ExitCode);
        Assert.Equal("000", byName.Status);
        Assert.NotEqual(0, byAddress.ExitCode);
        Assert.Equal("000", byAddress.Status);
    }

    [SkippableFact]
    public async Task Allow_list_change_on_a_running_session_takes_effect_without_restarting_the_agent()
    {
        Fixture.Require(BackendCapabilities.EgressProxy);
        var name = await Fixture.SharedSessionAsync();
        var url = $"http://{ConformanceFixture.LaterHost}/";
        var agentStartedBefore = await Backend.CheckAsync(name, "stat", "-c", "%Y", "/proc/1");
        Assert.Equal("403", (await CurlWhenProxyListensAsync(name, url)).Status);

        var widened = EgressPolicy.Parse([ConformanceFixture.AllowedHost, ConformanceFixture.LaterHost]);
        try
        {
            await Backend.SetEgressPolicyAsync(name, widened);
            Assert.Equal(widened, await Backend.GetEgressPolicyAsync(name));
            var (_, status, body) = await CurlUntilAsync(name, url, "200");
            Assert.Equal("200", status);
            Assert.Equal(ConformanceFixture.OutsideBody, body);
            Assert.Equal(agentStartedBefore, await Backend.CheckAsync(name, "stat", "-c", "%Y", "/proc/1"));
        }
        finally
        {
            await Backend.SetEgressPolicyAsync(name, ConformanceFixture.TestPolicy);
        }

        Assert.Equal(ConformanceFixture.TestPolicy, await Backend.GetEgressPolicyAsync(name));
        Assert.Equal("403", (await CurlUntilAsync(name, url, "403")).Status);
    }

    private async Task<List<SessionInfo>> ListAsync()
    {
        var list = new List<SessionInfo>();
        await foreach (var s in Backend.ListAsync())
        {
            list.Add(s);
        }

        return list;
    }

    /// <summary>
    /// curl through the proxy; repeats, for a bounded time, only a try that got no HTTP answer at all (status 000:
    /// refused, reset, timed out, proxy name not resolved) — what a client meets while the proxy pod behind the name is
    /// replaced after an earlier allow-list change (the test server's Service is a DNS alias, re-attached when the
    /// pods selected change, not a stable cluster IP). Any HTTP answer is returned at once.
    /// </summary>
    private async Task<(int ExitCode, string Status, string Body)> CurlWhenProxyListensAsync(SessionName name, string url)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(40);
        while (true)
        {
            var result = await Backend.CurlAsync(name, url);
            if (result.Status != "000" || DateTimeOffset.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(250);
        }
    }

    /// <summary>
    /// A reload is asynchronous inside squid (and a proxy rollout on a cluster replaces the pod behind the proxy's
    /// name); poll until it answers <paramref name="expected"/>. Bounded generously: on a loaded 2-core CI machine
    /// the replacement took longer than 15 s; the poll ends as soon as the answer comes.
    /// </summary>
    private async Task<(int ExitCode, string Status, string Body)> CurlUntilAsync(SessionName name, string url, string expected)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await Backend.CurlAsync(name, url);
            if (result.Status == expected || DateTimeOffset.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(250);
        }
    }
}
