using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// securityContext → podman flags (user, groups, privileges, capabilities, read-only root).
internal sealed partial class PodLaunch
{
    private async Task SecurityAsync(JsonObject pod, JsonObject container, List<string> args, CancellationToken ct)
    {
        var podSc = pod["spec"]?["securityContext"] as JsonObject;
        var sc = container["securityContext"] as JsonObject;
        var uid = Long(sc, "runAsUser") ?? Long(podSc, "runAsUser");
        var gid = Long(sc, "runAsGroup") ?? Long(podSc, "runAsGroup");
        var nonRoot = Bool(sc, "runAsNonRoot") ?? Bool(podSc, "runAsNonRoot") ?? false;
        if (nonRoot)
        {
            if (uid == 0)
            {
                throw LaunchFailure.ConfigError("container's runAsUser breaks non-root policy (pod: \"" + pod.Name() + "_" + pod.Namespace() + "(" + pod.Uid() + ")\", container: " + container.Str("name") + ")");
            }

            if (uid is null)
            {
                var user = (await podman.CheckedAsync(["image", "inspect", "--format", "{{.Config.User}}", Builds.InternalRegistry.Resolve(store, names.ServerId, container.Str("image")!, privateRegistry)], ct).ConfigureAwait(false)).Trim();
                if (user.Length == 0 || user == "root" || user.StartsWith('0') && (user.Length == 1 || user[1] == ':'))
                {
                    throw LaunchFailure.ConfigError("container has runAsNonRoot and image will run as root (pod: \"" + pod.Name() + "_" + pod.Namespace() + "(" + pod.Uid() + ")\", container: " + container.Str("name") + ")");
                }
            }
        }

        if (uid is not null)
        {
            args.AddRange(["--user", $"{uid}:{gid ?? 0}"]);
        }

        if (Long(podSc, "fsGroup") is { } fsGroup)
        {
            args.AddRange(["--group-add", fsGroup.ToString(CultureInfo.InvariantCulture)]);
        }

        foreach (var g in podSc?["supplementalGroups"] as JsonArray ?? [])
        {
            args.AddRange(["--group-add", g!.ToJsonString()]);
        }

        if (Bool(sc, "privileged") == true)
        {
            args.Add("--privileged");
        }

        if (Bool(sc, "allowPrivilegeEscalation") == false)
        {
            args.AddRange(["--security-opt", "no-new-privileges"]);
        }

        if (Bool(sc, "readOnlyRootFilesystem") == true)
        {
            args.Add("--read-only");
        }

        foreach (var cap in Strings(sc?["capabilities"]?["drop"]))
        {
            args.AddRange(["--cap-drop", cap]);
        }

        foreach (var cap in Strings(sc?["capabilities"]?["add"]))
        {
            args.AddRange(["--cap-add", cap]);
        }
    }
}
