using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Admission;

/// <summary>
/// OpenShift's <c>restricted-v2</c> SCC as admission: namespaces get UID/supplemental-group ranges; pods without a
/// UID get the range start with GID 0 (no runAsGroup), fsGroup from the supplemental range, capabilities dropped
/// and privilege escalation off; root, privileged, escalation, added capabilities (other than NET_BIND_SERVICE) and
/// host namespaces are rejected with OpenShift's message shape (403).
/// </summary>
internal sealed class RestrictedV2(ObjectStore store)
{
    private const long RangeStart = 1_000_680_000;
    private const long RangeSize = 10_000;
    private const string UidRange = "openshift.io/sa.scc.uid-range";
    private const string GroupRange = "openshift.io/sa.scc.supplemental-groups";
    private int _nextBlock;

    public void Admit(ResourceType type, JsonObject obj, JsonObject? old)
    {
        if (old is not null)
        {
            return;
        }

        if (type == ResourceTypes.Namespaces)
        {
            var annotations = obj.Metadata().Obj("annotations");
            if (annotations[UidRange] is null)
            {
                var start = RangeStart + (RangeSize * Interlocked.Increment(ref _nextBlock) - RangeSize);
                annotations[UidRange] = $"{start}/{RangeSize}";
                annotations[GroupRange] = $"{start}/{RangeSize}";
                annotations["openshift.io/sa.scc.mcs"] = "s0:c26,c15";
            }
        }
        else if (type == ResourceTypes.Pods)
        {
            AdmitPod(obj);
        }
    }

    private void AdmitPod(JsonObject pod)
    {
        var ns = store.TryGet(ResourceTypes.Namespaces, null, pod.Namespace() ?? "");
        var (min, max) = Range(ns?.Metadata()["annotations"]?.Str(UidRange));
        var spec = pod.Obj("spec");
        var podSc = spec.Obj("securityContext");
        var problems = new List<string>();
        foreach (var (field, what) in new[] { ("hostNetwork", "Host network"), ("hostPID", "Host PID"), ("hostIPC", "Host IPC") })
        {
            if (spec[field] is JsonValue v && v.GetValue<bool>())
            {
                problems.Add($"provider restricted-v2: .spec.securityContext.{field}: Invalid value: true: {what} is not allowed to be used");
            }
        }

        foreach (var volume in spec["volumes"].Objects().Where(v => v["hostPath"] is not null))
        {
            problems.Add($"provider restricted-v2: .spec.volumes[{spec["volumes"]!.AsArray().IndexOf(volume)}]: Invalid value: \"hostPath\": hostPath volumes are not allowed to be used");
        }

        var podUid = podSc["runAsUser"] is JsonValue pu ? pu.GetValue<long>() : (long?)null;
        if (podUid is { } u0 && (u0 < min || u0 > max))
        {
            problems.Add($"provider restricted-v2: .spec.securityContext.runAsUser: Invalid value: {u0}: must be in the ranges: [{min}, {max}]");
        }

        var index = 0;
        foreach (var c in spec["containers"].Objects())
        {
            var sc = c.Obj("securityContext");
            var prefix = $"provider restricted-v2: .containers[{index}]";
            if (sc["runAsUser"] is JsonValue cu && (cu.GetValue<long>() < min || cu.GetValue<long>() > max))
            {
                problems.Add($"{prefix}.runAsUser: Invalid value: {cu.GetValue<long>()}: must be in the ranges: [{min}, {max}]");
            }

            if (sc["privileged"] is JsonValue p && p.GetValue<bool>())
            {
                problems.Add($"{prefix}.privileged: Invalid value: true: Privileged containers are not allowed");
            }

            if (sc["allowPrivilegeEscalation"] is JsonValue e && e.GetValue<bool>())
            {
                problems.Add($"{prefix}.allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed");
            }

            foreach (var cap in (sc["capabilities"]?["add"] as JsonArray ?? []).Select(x => x?.GetValue<string>()).Where(x => x != "NET_BIND_SERVICE"))
            {
                problems.Add($"{prefix}.capabilities.add: Invalid value: \"{cap}\": capability may not be added");
            }

            foreach (var port in c["ports"].Objects().Where(p => p["hostPort"] is not null))
            {
                problems.Add($"{prefix}.hostPort: Invalid value: {port["hostPort"]}: Host ports are not allowed to be used");
            }

            index++;
        }

        if (problems.Count > 0)
        {
            throw KubeApiException.Forbidden(ResourceTypes.Pods, pod.Name(),
                "unable to validate against any security context constraint: [provider \"anyuid\": Forbidden: not usable by user or serviceaccount, "
                + string.Join(", ", problems)
                + ", provider \"restricted\": Forbidden: not usable by user or serviceaccount, provider \"nonroot-v2\": Forbidden: not usable by user or serviceaccount, provider \"nonroot\": Forbidden: not usable by user or serviceaccount, provider \"hostmount-anyuid\": Forbidden: not usable by user or serviceaccount, provider \"hostnetwork-v2\": Forbidden: not usable by user or serviceaccount, provider \"hostnetwork\": Forbidden: not usable by user or serviceaccount, provider \"hostaccess\": Forbidden: not usable by user or serviceaccount, provider \"privileged\": Forbidden: not usable by user or serviceaccount]");
        }

        // Mutation, as the SCC admission plugin does it.
        podSc["fsGroup"] ??= min;
        podSc["seLinuxOptions"] ??= new JsonObject { ["level"] = "s0:c26,c15" };
        podSc["seccompProfile"] ??= new JsonObject { ["type"] = "RuntimeDefault" };
        foreach (var c in spec["containers"].Objects())
        {
            var sc = c.Obj("securityContext");
            if (sc["runAsUser"] is null && podUid is null)
            {
                sc["runAsUser"] = min;
            }

            sc["runAsNonRoot"] ??= true;
            sc["allowPrivilegeEscalation"] ??= false;
            sc["capabilities"] ??= new JsonObject { ["drop"] = new JsonArray("ALL") };
        }

        var annotations = pod.Metadata().Obj("annotations");
        annotations["openshift.io/scc"] = "restricted-v2";
        annotations["seccomp.security.alpha.kubernetes.io/pod"] = "runtime/default";
    }

    private static (long Min, long Max) Range(string? annotation)
    {
        if (annotation is not null)
        {
            var parts = annotation.Split('/');
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var start) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var size))
            {
                return (start, start + size - 1);
            }
        }

        return (RangeStart, RangeStart + RangeSize - 1);
    }
}
