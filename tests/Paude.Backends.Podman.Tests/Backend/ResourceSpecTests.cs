using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.Podman;
using Paude.Backends.Podman.Backend;
using Paude.Backends.Podman.Cli;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>
/// A spec's requests and GPUs on real Podman: requests become CPU weight and a memory soft limit (kept when the agent
/// is re-created); GPUs become CDI devices, and on this machine (no GPU, no CDI spec) create fails with a typed error
/// naming the missing device and leaves nothing behind; what only a cluster can do is refused with every problem.
/// </summary>
public sealed class ResourceSpecTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task Requests_become_cpu_shares_and_a_memory_reservation_and_survive_agent_recreation()
    {
        var name = fixture.NewName("requests");
        var limits = new SessionLimits { MemoryBytes = 512L * 1024 * 1024, Cpus = 1, CpuRequest = 0.5, MemoryRequestBytes = 128L * 1024 * 1024 };
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { Limits = limits });
        try
        {
            AssertRequests(await Podman.InspectAsync($"paude-{name}"));

            // Removed behind our back: start re-creates the agent from the labels, requests included.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}");
            await fixture.Backend.StartAsync(name);
            AssertRequests(await Podman.InspectAsync($"paude-{name}"));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }

        static void AssertRequests(JsonElement agent)
        {
            var host = agent.GetProperty("HostConfig");
            Assert.Equal(512, host.GetProperty("CpuShares").GetInt64());
            Assert.Equal(128L * 1024 * 1024, host.GetProperty("MemoryReservation").GetInt64());
            Assert.Equal(512L * 1024 * 1024, host.GetProperty("Memory").GetInt64());
        }
    }

    [Theory]
    [InlineData(2, "nvidia.com/gpu=0,nvidia.com/gpu=1")]
    [InlineData(SessionLimits.AllGpus, "nvidia.com/gpu=all")]
    public async Task Gpus_are_cdi_devices_and_a_missing_one_fails_typed_with_nothing_left(int gpus, string devices)
    {
        var name = fixture.NewName(gpus > 0 ? "gpu2" : "gpuall");
        var recording = new RecordingClient(new PodmanCli("podman", "podman"));
        var options = new PodmanBackendOptions { ExtraLabels = new Dictionary<string, string> { ["paude.test"] = fixture.RunId } };
        var backend = new PodmanBackend("podman", recording, options, null, TimeProvider.System, NullLogger.Instance);

        var e = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CreateAsync(fixture.Spec(name) with { Limits = new SessionLimits { Gpus = gpus } }));

        Assert.Contains("CDI device (nvidia.com/gpu)", e.Message, StringComparison.Ordinal);
        Assert.Contains("nvidia-ctk cdi generate", e.Message, StringComparison.Ordinal);
        var agentRun = recording.Calls.Single(c => c.Contains($"paude-{name}") && c[0] == "run");
        var asked = agentRun.Select((a, i) => (a, i)).Where(x => x.a == "--device").Select(x => agentRun[x.i + 1]);
        Assert.Equal(devices, string.Join(',', asked));
        Assert.Contains("unresolvable CDI devices", e.Message, StringComparison.Ordinal);
        Assert.Empty(await Podman.ResourcesContainingAsync(name.Value));
    }

    [Fact]
    public async Task Cluster_only_fields_are_refused_together_with_the_other_problems_and_nothing_is_created()
    {
        var name = fixture.NewName("clusteronly");
        var spec = fixture.Spec(name) with
        {
            WorkspaceSizeBytes = 10L * 1024 * 1024 * 1024,
            StorageClass = "fast",
            NodeSelector = new Dictionary<string, string> { ["pool"] = "gpu" },
            Tolerations = [new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule")],
            ImagePullSecrets = ["regcred"],
            Limits = new SessionLimits { Cpus = 1, CpuRequest = 2 },
        };

        var e = await Assert.ThrowsAsync<InvalidSessionSpecException>(() => fixture.Backend.CreateAsync(spec));

        foreach (var field in new[] { "WorkspaceSizeBytes:", "StorageClass:", "NodeSelector:", "Tolerations:", "ImagePullSecrets:", "Limits.CpuRequest:" })
        {
            Assert.Contains(e.Errors, m => m.StartsWith(field, StringComparison.Ordinal));
        }

        Assert.Equal(6, e.Errors.Count);
        Assert.Empty(await Podman.ResourcesContainingAsync(name.Value));
    }

    [Fact]
    public void The_resources_label_round_trips_and_reads_older_and_edited_labels_safely()
    {
        var limits = new SessionLimits { MemoryBytes = 1L << 30, Cpus = 1.5, Pids = 300, CpuRequest = 0.25, MemoryRequestBytes = 64L << 20, Gpus = 2 };
        var labels = new Dictionary<string, string>();
        SessionLabels.AddConfig(labels, new SessionRecord(null, DateTimeOffset.UnixEpoch, "a", "p", Paude.Egress.EgressPolicy.Default, null, true, [], ["x"]) { Limits = limits });

        Assert.Equal(limits, SessionLabels.ReadLimits(labels[SessionLabels.Limits]));
        Assert.Equal(new SessionLimits { MemoryBytes = 1L << 30, Cpus = 1.5, Pids = 300 }, SessionLabels.ReadLimits($"{1L << 30}_1.5_300"));
        Assert.Equal(SessionLimits.Default, SessionLabels.ReadLimits($"{1L << 30}_1.5_300_9_{64L << 20}_0")); // request above the limit: edited
        Assert.Equal(SessionLimits.Default, SessionLabels.ReadLimits($"{1L << 30}_1.5_300__x_0"));

        // What SessionInfo.Limits reports: the label as written, and null (never an exception, never a made-up
        // default) for a label that is missing, malformed or out of the spec's bounds.
        Assert.Equal(limits, SessionLabels.TryReadLimits(labels));
        Assert.Null(SessionLabels.TryReadLimits(new Dictionary<string, string>()));
        foreach (var bad in new[] { "", "_", "x_1_2", $"{1L << 30}_NaN_300", $"{1L << 30}_Infinity_300", $"{1L << 30}_1.5_99999999999", $"{1L << 30}_1.5_300_0.5_{64L << 20}_1_9", $"{1L << 30}_1.5_300_9_{64L << 20}_0", $"{1L << 30}_1.5_300__x_0", $"{1L << 30}_1.5_300___-7" })
        {
            Assert.Null(SessionLabels.TryReadLimits(new Dictionary<string, string> { [SessionLabels.Limits] = bad }));
        }
    }

    /// <summary>The real client, with every argument vector it ran kept.</summary>
    private sealed class RecordingClient(IPodmanClient inner) : IPodmanClient
    {
        private readonly List<IReadOnlyList<string>> _calls = [];

        public IReadOnlyList<IReadOnlyList<string>> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
        {
            Record(arguments);
            return inner.RunAsync(arguments, writeStdin, cancellationToken);
        }

        public Task<PodmanProcess> StartAsync(IReadOnlyList<string> arguments, bool redirectStdin, CancellationToken cancellationToken)
        {
            Record(arguments);
            return inner.StartAsync(arguments, redirectStdin, cancellationToken);
        }

        private void Record(IReadOnlyList<string> arguments)
        {
            lock (_calls)
            {
                _calls.Add([.. arguments]);
            }
        }
    }
}
