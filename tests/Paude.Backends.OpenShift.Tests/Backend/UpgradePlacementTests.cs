using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Backend;

/// <summary>
/// An upgrade that changes the session's node placement (<see cref="SessionUpgrade.NodeSelector"/>,
/// <see cref="SessionUpgrade.Tolerations"/>) on the Kubernetes test server, cross-checked with the real kubectl: the
/// record, both pod templates and both running pods carry the new placement — also when the upgrade was stopped after
/// any step and run again — and nothing else of the session (environment, limits, allow-list, workspace) changes.
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class UpgradePlacementTests(KubeServerFixture fixture)
{
    private const string Pods = "{range .items[*]}{.metadata.name}|{.metadata.deletionTimestamp}|{.metadata.annotations.paude\\.io/generation}|{.spec.nodeSelector}|" +
        "{range .spec.tolerations[*]}{.key}:{.operator}:{.value}:{.effect} {end}{\"\\n\"}{end}";

    private const string Template = "{.spec.template.spec.nodeSelector}|{range .spec.template.spec.tolerations[*]}{.key}:{.operator}:{.value}:{.effect} {end}";

    private const string Unchanged = "{.spec.containers[0].env}|{.spec.containers[0].resources}|{.spec.containers[0].image}";

    [Fact]
    public async Task Upgrade_moves_both_pods_to_the_new_placement_keeps_the_rest_and_finishes_after_a_stop_at_any_step()
    {
        var name = fixture.NewName("upgp");
        await fixture.Backend.CreateAsync(fixture.Spec(name) with
        {
            Environment = new Dictionary<string, string> { ["PAUDE_T_KEEP"] = "kept" },
            Limits = new SessionLimits { MemoryBytes = 1L << 30, Cpus = 1.5, CpuRequest = 0.25 },
            NodeSelector = new Dictionary<string, string> { ["paude.io/pool"] = "agents", ["paude.io/zone"] = "a" },
            Tolerations = [new SessionToleration("dedicated", "Equal", "paude", "NoSchedule")],
        });
        try
        {
            var seeded = await fixture.Backend.ExecAsync(name, ["bash", "-c", "echo work > /pvc/workspace/placement.txt"]);
            Assert.True(seeded.Succeeded, seeded.StandardError);
            var pvc = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}");
            var agent = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", $"jsonpath={Unchanged}");
            var egress = await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/allowed-domains}");
            await AssertPlacementAsync(name, generation: 0, """{"paude.io/pool":"agents","paude.io/zone":"a"}""", "dedicated:Equal:paude:NoSchedule ");

            // Each upgrade is stopped after one step (as a kill would: nothing undone) and finished by the same call again.
            // A label dropped from the selector must go (a merge patch merges maps key by key), and an empty value removes.
            (string Step, SessionUpgrade Upgrade, string Selector, string Tolerations)[] cases =
            [
                ("intent-recorded", new SessionUpgrade { NodeSelector = new Dictionary<string, string> { ["paude.io/pool"] = "gpu" } },
                    """{"paude.io/pool":"gpu"}""", "dedicated:Equal:paude:NoSchedule "),
                ("proxy-updated", new SessionUpgrade { Tolerations = [new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule"), new SessionToleration("spot", "Exists")] },
                    """{"paude.io/pool":"gpu"}""", "nvidia.com/gpu:Exists::NoSchedule spot:Exists:: "),
                ("generation-running", new SessionUpgrade { NodeSelector = new Dictionary<string, string> { ["paude.io/zone"] = "b" }, Tolerations = [] },
                    """{"paude.io/zone":"b"}""", string.Empty),
                ("started", new SessionUpgrade { NodeSelector = new Dictionary<string, string>() }, string.Empty, string.Empty),
            ];
            for (var i = 0; i < cases.Length; i++)
            {
                var (step, upgrade, selector, tolerations) = cases[i];
                await UpgradeThrowsAtAsync(step, () => fixture.Backend.UpgradeAsync(name, upgrade));
                Assert.Contains(name, await fixture.Backend.ListAsync().Select(s => s.Name).ToListAsync());

                Assert.Equal(SessionStatus.Running, (await fixture.Backend.UpgradeAsync(name, upgrade)).Status);
                await AssertPlacementAsync(name, generation: i + 1, selector, tolerations);
            }

            // The placement removed entirely leaves no cluster part in the record (nothing else of it was set).
            Assert.Equal(string.Empty, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/cluster}"));
            Assert.Equal(agent, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", $"jsonpath={Unchanged}"));
            Assert.Equal(egress, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/allowed-domains}"));
            Assert.Equal(pvc, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));
            Assert.Equal("work\n", (await fixture.Backend.ExecAsync(name, ["cat", "/pvc/workspace/placement.txt"])).StandardOutput);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task An_upgrade_to_a_placement_no_node_fits_fails_clearly_within_its_limit_and_a_rerun_with_a_fitting_one_finishes()
    {
        // A server whose one node has a label and a taint: a pod that does not fit stays Pending (Unschedulable).
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default", KubeServerFixture.Namespace],
            OpenShiftRestricted = true,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = fixture.RunId },
            NodeLabels = new Dictionary<string, string> { ["paude.test/pool"] = "agents" },
            NodeTaints = [new KubernetesNodeTaint("paude.test/dedicated", "agents", "NoSchedule")],
        });

        // A short ReadyTimeout for the upgrades that cannot finish (a rollout without progress for that long fails), the
        // usual one for create and the rerun (a loaded machine needs it to start pods).
        var stuckAfter = TimeSpan.FromSeconds(20);
        await using var patient = Services(server, TimeSpan.FromMinutes(3));
        await using var impatient = Services(server, stuckAfter);
        var backend = patient.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var quick = impatient.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var name = fixture.NewName("upgu");
        var pool = new Dictionary<string, string> { ["paude.test/pool"] = "agents" };
        SessionToleration[] dedicated = [new("paude.test/dedicated", "Equal", "agents", "NoSchedule")];
        try
        {
            await backend.CreateAsync(fixture.Spec(name) with { NodeSelector = pool, Tolerations = dedicated });
            var seeded = await backend.ExecAsync(name, ["bash", "-c", "echo work > /pvc/workspace/placement.txt"]);
            Assert.True(seeded.Succeeded, seeded.StandardError);

            // No node has the label: the rollout makes no progress, the upgrade ends with where each pod stands.
            var clock = Stopwatch.StartNew();
            var unmatched = await Assert.ThrowsAsync<BackendOperationException>(() => quick.UpgradeAsync(name, new SessionUpgrade { NodeSelector = new Dictionary<string, string> { ["paude.test/pool"] = "gpu" } }));
            Assert.InRange(clock.Elapsed, stuckAfter, 5 * stuckAfter + TimeSpan.FromMinutes(1));
            Assert.Contains($"paude-{name}-0 generation 1 Pending not scheduled (Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.", unmatched.Message, StringComparison.Ordinal);
            Assert.Contains("run the upgrade again", unmatched.Message, StringComparison.Ordinal);
            Assert.Equal("Pending|Unschedulable", await KubeServerFixture.KubectlAsync(server, "get", "pod", $"paude-{name}-0", "-o", "jsonpath={.status.phase}|{.status.conditions[?(@.type==\"PodScheduled\")].reason}"));
            Assert.Contains("FailedScheduling", await KubeServerFixture.KubectlAsync(server, "get", "events", "--field-selector", $"involvedObject.name=paude-{name}-0", "-o", "jsonpath={.items[*].reason}"), StringComparison.Ordinal);
            Assert.Contains(name, await backend.ListAsync().Select(s => s.Name).ToListAsync());

            // The label fits again but the taint is no longer tolerated: refused the same way, naming the taint.
            var untolerated = await Assert.ThrowsAsync<BackendOperationException>(() => quick.UpgradeAsync(name, new SessionUpgrade { NodeSelector = pool, Tolerations = [] }));
            Assert.Contains("1 node(s) had untolerated taint {paude.test/dedicated: agents}", untolerated.Message, StringComparison.Ordinal);

            // A rerun with a placement that fits finishes: both pods run there, the work is still in the workspace.
            var fixedUp = await backend.UpgradeAsync(name, new SessionUpgrade { NodeSelector = pool, Tolerations = dedicated });
            Assert.Equal(SessionStatus.Running, fixedUp.Status);
            var pods = await KubeServerFixture.KubectlAsync(server, "get", "pods", "-l", $"paude.io/session-name={name}", "-o", "jsonpath={range .items[*]}{.metadata.annotations.paude\\.io/generation}|{.status.phase}|{.spec.nodeSelector}|{.spec.nodeName};{end}");
            Assert.Equal(2, pods.Split(';', StringSplitOptions.RemoveEmptyEntries).Count(p => p == """3|Running|{"paude.test/pool":"agents"}|paude-test-node"""));
            Assert.Equal("work\n", (await backend.ExecAsync(name, ["cat", "/pvc/workspace/placement.txt"])).StandardOutput);
        }
        finally
        {
            await backend.DeleteAsync(name);
        }
    }

    private static ServiceProvider Services(KubernetesTestServer server, TimeSpan readyTimeout)
    {
        var services = new ServiceCollection();
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = server.KubeconfigPath;
            o.Namespace = KubeServerFixture.Namespace;
            o.ReadyTimeout = readyTimeout;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 10;
            o.AgentImage = KubeServerFixture.AgentImage;
        });
        return services.BuildServiceProvider();
    }

    /// <summary>The record, both templates and both live pods (of the expected generation) carry exactly this placement.</summary>
    private async Task AssertPlacementAsync(SessionName name, int generation, string selector, string tolerations)
    {
        var expected = $"{selector}|{tolerations}";
        Assert.Equal(expected, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", $"jsonpath={Template}"));
        Assert.Equal(expected, await fixture.KubectlAsync("get", "deployment", $"proxy-paude-{name}", "-o", $"jsonpath={Template}"));

        var pods = (await fixture.KubectlAsync("get", "pods", "-l", $"paude.io/session-name={name}", "-o", $"jsonpath={Pods}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('|'))
            .Where(fields => fields[1].Length == 0) // not terminating
            .ToList();
        Assert.Equal(2, pods.Count);
        Assert.All(pods, fields =>
        {
            Assert.Equal(generation == 0 ? string.Empty : generation.ToString(System.Globalization.CultureInfo.InvariantCulture), fields[2]);
            Assert.Equal(expected, $"{fields[3]}|{fields[4]}");
        });

        // The record holds the same selector (a repaired proxy is built from it).
        var record = await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/cluster}");
        var recorded = record.Length == 0 ? null : JsonNode.Parse(record)!["NodeSelector"];
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(selector.Length == 0 ? "{}" : selector), recorded ?? new JsonObject()), $"record: {record}");
    }

    private static async Task UpgradeThrowsAtAsync(string step, Func<Task> upgrade)
    {
        OpenShiftUpgrader.FaultPoint.Value = s =>
        {
            if (s == step)
            {
                throw new StoppedAtStepException(step);
            }
        };
        try
        {
            var thrown = await Assert.ThrowsAsync<StoppedAtStepException>(upgrade);
            Assert.Equal(step, thrown.Message);
        }
        finally
        {
            OpenShiftUpgrader.FaultPoint.Value = null;
        }
    }

    private sealed class StoppedAtStepException(string step) : Exception(step);
}
