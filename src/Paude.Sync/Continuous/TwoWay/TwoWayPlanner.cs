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
/// <item>a conflict reported before and still open (<c>held</c>: only under <see cref="ConflictPolicy.Stop"/> or in a
/// one-way sync) stays quiet while neither side changed it; it is settled when both sides agree or one side deleted
/// its version (the other version is restored there); any other change to it is a new conflict, reported again —
/// never a reason to overwrite the other side's edit.</item>
/// <item>one-way (a <c>direction</c> given): steps toward the other side are not taken (the path keeps its old
/// base, so it is decided again later); a conflict the policy cannot settle in that direction is held, left alone.</item>
/// </list>
/// </summary>
internal static class TwoWayPlanner
{
    public static TwoWayPlan Plan(
        IReadOnlyDictionary<string, ContentId> agreed,
        IReadOnlyDictionary<string, ContentId> local,
        IReadOnlyDictionary<string, ContentId> session,
        ConflictPolicy policy) => Plan(agreed, new Dictionary<string, HeldConflict>(), local, session, policy, direction: null);

    public static TwoWayPlan Plan(
        IReadOnlyDictionary<string, ContentId> agreed,
        IReadOnlyDictionary<string, HeldConflict> held,
        IReadOnlyDictionary<string, ContentId> local,
        IReadOnlyDictionary<string, ContentId> session,
        ConflictPolicy policy,
        SyncDirection? direction)
    {
        var plan = new TwoWayPlan();
        bool toLocal = direction != SyncDirection.ToSession, toSession = direction != SyncDirection.FromSession;
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

            if (held.TryGetValue(path, out var h))
            {
                if (h.Local == l && h.Session == s)
                {
                    plan.Hold(path, h);
                    continue;
                }

                // One side's version deleted: the user's way of picking the other one, which is restored there.
                if (l is null && toLocal) { plan.Pull.Add((path, path)); continue; }
                if (s is null && toSession) { plan.Push.Add((path, path)); continue; }
                if (l is null || s is null) { plan.Hold(path, new HeldConflict(l, s)); continue; }
                Settle(plan, path, l, s, policy, toLocal, toSession, local.ContainsKey, session.ContainsKey);
                continue;
            }

            if (l == b)
            {
                if (!toLocal) plan.Keep.Add(path);
                else if (s is null) plan.DeleteLocal.Add(path);
                else plan.Pull.Add((path, path));
                continue;
            }

            if (s == b)
            {
                if (!toSession) plan.Keep.Add(path);
                else if (l is null) plan.DeleteSession.Add(path);
                else plan.Push.Add((path, path));
                continue;
            }

            Settle(plan, path, l, s, policy, toLocal, toSession, local.ContainsKey, session.ContainsKey);
        }

        return plan;
    }

    private static void Settle(TwoWayPlan plan, string path, ContentId? l, ContentId? s, ConflictPolicy policy, bool toLocal, bool toSession, Func<string, bool> localHas, Func<string, bool> sessionHas)
    {
        if (policy == ConflictPolicy.Stop)
        {
            plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.Stopped, null));
            plan.Hold(path, new HeldConflict(l, s));
            plan.Stop = true;
            return;
        }

        // Edit against deletion: the edit wins under every policy, so no work is lost to a deletion.
        if (l is null || s is null)
        {
            if (l is null && toLocal) plan.Pull.Add((path, path));
            else if (s is null && toSession) plan.Push.Add((path, path));
            else { LeaveAlone(plan, path, l, s); return; }
            plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.RestoredEdit, null));
            return;
        }

        switch (policy)
        {
            case ConflictPolicy.KeepLocal when toSession:
                plan.Push.Add((path, path));
                plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.KeptLocal, null));
                break;
            case ConflictPolicy.KeepSession when toLocal:
                plan.Pull.Add((path, path));
                plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.KeptSession, null));
                break;
            case ConflictPolicy.KeepBoth when toLocal && toSession:
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
            default:
                // One-way, and the policy would write the side that is not written: both versions stay where they are.
                LeaveAlone(plan, path, l, s);
                break;
        }
    }

    private static void LeaveAlone(TwoWayPlan plan, string path, ContentId? l, ContentId? s)
    {
        plan.Conflicts.Add(new TwoWayConflict(path, l, s, ConflictOutcome.LeftAlone, null));
        plan.Hold(path, new HeldConflict(l, s));
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
