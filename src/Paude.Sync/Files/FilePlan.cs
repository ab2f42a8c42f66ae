namespace Paude.Sync.Files;

/// <summary>
/// The per-file decision of a file-level sync: three-way against the last-sync base (exclude, file-level merge)
/// or "target becomes source" (file-level overwrite). Pure: no I/O.
/// </summary>
internal sealed class FilePlan
{
    public List<string> Writes { get; } = [];

    public List<string> Deletes { get; } = [];

    public List<string> Conflicts { get; } = [];

    /// <summary>Target-side paths changed since the last sync that an overwrite would replace.</summary>
    public List<string> AtRisk { get; } = [];

    /// <summary>Deletions skipped because this is the first sync with the session.</summary>
    public List<string> SkippedDeletes { get; } = [];

    /// <summary>The base for the next sync (path → hash both sides agree on).</summary>
    public Dictionary<string, string> NewBase { get; } = new(StringComparer.Ordinal);

    public static FilePlan Create(
        IReadOnlyDictionary<string, string> local, IReadOnlyDictionary<string, string> session, IReadOnlyDictionary<string, string>? lastBase,
        SyncDirection direction, bool overwrite)
    {
        var plan = new FilePlan();
        var firstSync = lastBase is null;
        var baseFiles = lastBase ?? new Dictionary<string, string>();
        var paths = local.Keys.Union(session.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var l = local.GetValueOrDefault(path);
            var r = session.GetValueOrDefault(path);
            var b = baseFiles.GetValueOrDefault(path);
            if (l == r)
            {
                plan.NewBase[path] = l!;
                continue;
            }

            var (source, target) = direction == SyncDirection.FromSession ? (r, l) : (l, r);
            if (overwrite)
            {
                if (target is not null && target != b)
                {
                    plan.AtRisk.Add(path);
                }

                plan.Take(path, source, firstSync);
            }
            else if (target == b)
            {
                plan.Take(path, source, firstSync);
            }
            else if (source == b)
            {
                // Only the target changed: it keeps its version; the base stays what the source still has.
                if (b is not null)
                {
                    plan.NewBase[path] = b;
                }
            }
            else
            {
                plan.Conflicts.Add(path);
                if (b is not null)
                {
                    plan.NewBase[path] = b;
                }
            }
        }

        return plan;
    }

    private void Take(string path, string? source, bool firstSync)
    {
        if (source is not null)
        {
            Writes.Add(path);
            NewBase[path] = source;
        }
        else if (firstSync)
        {
            // The first sync with a session never deletes anything (nothing says the file was ever shared).
            SkippedDeletes.Add(path);
        }
        else
        {
            Deletes.Add(path);
        }
    }
}
