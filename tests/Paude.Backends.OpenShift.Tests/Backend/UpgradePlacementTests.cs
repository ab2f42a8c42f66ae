using System.Text.Json.Nodes;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Backend;

/// <summary>
/// An upgrade that changes the session's node placement (<see cref="SessionUpgrade.NodeSelector"/>,
/// <see cref="SessionUpgrade.Tolerations"/>) on the Kubernetes test server, cross-checked with the real kubectl: the
/// record, both pod templates and both running pods carry the new placement — also when the upgrade was stopped after
/// any step and run again — and nothing else of the session (environment, limits, allow-list, workspace) changes.
/// </summary>
[Collection(KubeServerCollection.Name)]
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
