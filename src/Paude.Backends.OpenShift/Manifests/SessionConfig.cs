using System.Globalization;
using System.Text.Json;
using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>Reads the session config back from the StatefulSet's annotations (the live backend is the record).</summary>
internal static class SessionConfig
{
    public static string? Annotation(V1StatefulSet statefulSet, string key) =>
        statefulSet.Metadata.Annotations is { } a && a.TryGetValue(key, out var value) ? value : null;

    public static IReadOnlyList<string> Credentials(V1StatefulSet statefulSet) =>
        Annotation(statefulSet, SessionLabelKeys.Credentials) is { Length: > 0 } list ? list.Split(',') : [];

    public static EgressPolicy? Egress(V1StatefulSet statefulSet)
    {
        try
        {
            return Annotation(statefulSet, SessionLabelKeys.AllowedDomains) is { } domains ? EgressPolicy.Parse([domains]) : null;
        }
        catch (Errors.InvalidEgressPolicyException)
        {
            // Edited by hand into something invalid: report no policy rather than fail every read.
            return null;
        }
    }

    public static DateTimeOffset? CreatedAt(V1StatefulSet statefulSet) =>
        DateTimeOffset.TryParse(Annotation(statefulSet, SessionLabelKeys.CreatedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    /// <summary>Rebuilds the manifest input of an existing session (used to repair a missing proxy).</summary>
    public static SessionManifestInput ToInput(SessionName name, string ns, V1StatefulSet statefulSet)
    {
        var container = statefulSet.Spec.Template.Spec.Containers[0];
        IReadOnlyList<string> argv = ["claude"];
        if (Annotation(statefulSet, SessionLabelKeys.AgentArgv) is { } json)
        {
            try
            {
                argv = JsonSerializer.Deserialize(json, OpenShiftJson.Default.ListString) ?? argv;
            }
            catch (JsonException)
            {
                // Keep the default; the StatefulSet's own env still carries the real argv.
            }
        }

        return new SessionManifestInput(
            name,
            ns,
            Annotation(statefulSet, SessionLabelKeys.AgentImage) ?? container.Image,
            Annotation(statefulSet, SessionLabelKeys.ProxyImage) ?? "localhost/paude-proxy:latest",
            argv,
            new Dictionary<string, string>(),
            Egress(statefulSet) ?? EgressPolicy.Default,
            Annotation(statefulSet, SessionLabelKeys.Headless) != "false",
            Annotation(statefulSet, SessionLabelKeys.User),
            Credentials(statefulSet),
            Annotation(statefulSet, SessionLabelKeys.Workspace),
            CreatedAt(statefulSet) ?? DateTimeOffset.UnixEpoch);
    }
}
