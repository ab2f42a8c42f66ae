using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>Reads the session record back from the StatefulSet's annotations (the live backend is the record).</summary>
internal static class SessionConfig
{
    /// <summary>The proxy image of a record that names none (sessions from before it was stored).</summary>
    private const string DefaultProxyImage = "localhost/paude-proxy:latest";

    public static SessionRecord Record(V1StatefulSet statefulSet) =>
        SessionRecordCodec.Read(Annotations(statefulSet), SessionRecordEncoding.PlainText, statefulSet.Spec.Template.Spec.Containers[0].Image, DefaultProxyImage);

    public static IReadOnlyList<string> Credentials(V1StatefulSet statefulSet) => Record(statefulSet).Credentials;

    /// <summary>The stored allow-list; <c>null</c> when missing or edited by hand into something invalid.</summary>
    public static EgressPolicy? Egress(V1StatefulSet statefulSet) => SessionRecordCodec.ReadEgress(Annotations(statefulSet), SessionRecordEncoding.PlainText);

    public static DateTimeOffset? CreatedAt(V1StatefulSet statefulSet) => SessionRecordCodec.ReadCreatedAt(Annotations(statefulSet));

    public static string? Annotation(V1StatefulSet statefulSet, string key) =>
        statefulSet.Metadata.Annotations is { } a && a.TryGetValue(key, out var value) ? value : null;

    /// <summary>Rebuilds the manifest input of an existing session (used to repair a missing proxy).</summary>
    public static SessionManifestInput ToInput(SessionName name, string ns, V1StatefulSet statefulSet) =>
        SessionManifestInput.FromRecord(name, ns, Record(statefulSet), new Dictionary<string, string>());

    private static IReadOnlyDictionary<string, string> Annotations(V1StatefulSet statefulSet) =>
        statefulSet.Metadata.Annotations is { } a ? a.AsReadOnly() : new Dictionary<string, string>();
}
