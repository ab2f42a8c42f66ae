namespace Paude.Sync.Continuous.TwoWay;

/// <summary>
/// The three-way decision of two-way sync, per file, from the last agreed content (<c>base</c>), the local content and
/// the session's content (absent = no file). Only files are compared; folders follow their files (a folder is removed
/// only when empty, never recursively: a folder with content only one side has is never deleted).
/// <list type="bullet">
/// <item>local = session: in agreement, nothing to do.</item>
/// <item>only the session changed (local = base): pull it, or delete the local file if the session deleted it.</item>
/// <item>only the local side changed (session = base): push it, or delete the session's file.</item>
/// <item>both changed differently: a conflict, settled by the <see cref="ConflictPolicy"/>; an edit against a
/// deletion always restores the edit.</item>
/// </list>
/// </summary>
internal static class TwoWayPlanner
{
    public static TwoWayPlan Plan(
        IReadOnlyDictionary<string, ContentId> agreed,
        IReadOnlyDictionary<string, ContentId> local,
        IReadOnlyDictionary<string, ContentId> session,
        ConflictPolicy policy)
    {
        var plan = new TwoWayPlan();
        var paths = new SortedSet<string>(local.Keys, StringComparer.Ordinal);
        paths.UnionWith(session.Keys);
        paths.UnionWith(agreed.Keys);
        foreach (var path in paths)
        {
            ContentId? b = agreed.TryGetValue(path, out var bv) ? bv : null;
            ContentId? l = local.TryGetValue(path, out var lv) ? lv : null;
            ContentId? s = session.TryGetValue(path, out var sv) ? sv : null;
            if (l == s)
            {
                continue;
            }

            if (l == b)
            {
                if (s is null) plan.DeleteLocal.Add(path);
                else plan.Pull.Add((path, path));
                continue;
            }

            if (s == b)
            {
                if (l is null) plan.DeleteSession.Add(path);
                else plan.Push.Add((path, path));
                continue;
            }

            Settle(plan, path, l, s, policy, local.ContainsKey, session.ContainsKey);
        }

        return plan;
    }

    private static void Settle(TwoWayPlan plan, string path, ContentId? l, ContentId? s, ConflictPolicy policy, Func<string, bool> localHas, Func<string, bool> sessionHas)
    {
        if (policy == ConflictPolicy.Stop)
        {
            plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.Stopped, null));
            plan.Stop = true;
            return;
        }

        // Edit against deletion: the edit wins under every policy, so no work is lost to a deletion.
        if (l is null || s is null)
        {
            if (l is null) plan.Pull.Add((path, path));
            else plan.Push.Add((path, path));
            plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.RestoredEdit, null));
            return;
        }

        switch (policy)
        {
            case ConflictPolicy.KeepLocal:
                plan.Push.Add((path, path));
                plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.KeptLocal, null));
                break;
            case ConflictPolicy.KeepSession:
                plan.Pull.Add((path, path));
                plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.KeptSession, null));
                break;
            default:
                var copy = CopyPath(path, s.Value);
                if (localHas(copy) || sessionHas(copy))
                {
                    // The same session version was saved before (a repeated conflict): the copy is already there.
                    copy = CopyPath(path, s.Value, l.Value);
                }

                plan.Pull.Add((path, copy));
                plan.Push.Add((path, path));
                plan.Push.Add((copy, copy));
                plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.KeptBoth, copy));
                break;
        }
    }

    /// <summary><c>dir/name.conflict-session-&lt;8 hex&gt;.ext</c>: next to the file, same extension (editors still know it).</summary>
    internal static string CopyPath(string path, ContentId session, ContentId? local = null)
    {
        int slash = path.LastIndexOf('/');
        string dir = slash < 0 ? "" : path[..(slash + 1)];
        string name = path[(slash + 1)..];
        int dot = name.LastIndexOf('.');
        string stem = dot > 0 ? name[..dot] : name;
        string ext = dot > 0 ? name[dot..] : "";
        string tag = session.Hex[..8] + (local is { } lv ? "-" + lv.Hex[..8] : "");
        return $"{dir}{stem}.conflict-session-{tag}{ext}";
    }
}
