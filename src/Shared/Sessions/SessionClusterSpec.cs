namespace Paude.Sessions;

// Shared source (src/Shared): see SessionRecord.
/// <summary>
/// The part of a session's record only a cluster uses: workspace size and class, placement and pull secret names
/// (names only: a Secret's content is never in the record). Kept so a repaired proxy or a re-created pod gets the same.
/// </summary>
internal sealed record SessionClusterSpec(
    long? WorkspaceSizeBytes,
    string? StorageClass,
    IReadOnlyDictionary<string, string> NodeSelector,
    IReadOnlyList<SessionToleration> Tolerations,
    IReadOnlyList<string> ImagePullSecrets)
{
    public static SessionClusterSpec Empty { get; } = new(null, null, new Dictionary<string, string>(), [], []);

    public bool IsEmpty =>
        WorkspaceSizeBytes is null && StorageClass is null && NodeSelector.Count == 0 && Tolerations.Count == 0 && ImagePullSecrets.Count == 0;

    public static SessionClusterSpec From(SessionSpec spec) =>
        new(spec.WorkspaceSizeBytes, spec.StorageClass, spec.NodeSelector, spec.Tolerations, [.. spec.ImagePullSecrets.Distinct(StringComparer.Ordinal)]);

    /// <summary>
    /// Whether a value read back from the engine or cluster (anyone may have edited it) is one a spec could hold:
    /// checked with the spec's own rules, so a repair never sends what a create would have refused.
    /// </summary>
    public bool IsValid() =>
        NodeSelector is not null && Tolerations is not null && ImagePullSecrets is not null &&
        new SessionSpec
        {
            Name = SessionName.Parse("record"),
            WorkspaceSizeBytes = WorkspaceSizeBytes,
            StorageClass = StorageClass,
            NodeSelector = NodeSelector,
            Tolerations = Tolerations,
            ImagePullSecrets = ImagePullSecrets,
        }.GetErrors().Count == 0;
}
