namespace Paude.Sync.Files;

/// <summary>
/// Checks a pull's plan against what is really on the local disk, before anything changes: a link on the way of any
/// write or delete refuses the sync; a file, folder or link standing where the session has something of another type
/// is a conflict left alone, unless it holds nothing but what this sync deletes anyway (a folder the last sync wrote
/// and the session removed). With force, such an obstacle is moved into the backup folder instead. The push side
/// makes the same decisions in the session, where the agent can race them (<see cref="SafePlaceScript"/>).
/// </summary>
internal static class TypeChanges
{
    /// <summary>Adjusts <paramref name="plan"/>; returns the obstacles to move aside before the apply (force only).</summary>
    public static List<string> Check(string workspace, FilePlan plan, IReadOnlyDictionary<string, string>? lastBase, bool force)
    {
        foreach (var path in plan.Writes.Concat(plan.Deletes))
        {
            WorkspacePath.EnsureNoLinkOnTheWay(workspace, path);
        }

        var deletes = plan.Deletes.ToHashSet(StringComparer.Ordinal);
        var moveAside = new List<string>();
        foreach (var path in plan.Writes.ToList())
        {
            if (WorkspacePath.TypeObstacle(workspace, path) is not { } obstacle || IsOwnedBySync(workspace, obstacle, deletes))
            {
                continue;
            }

            if (force)
            {
                if (!moveAside.Contains(obstacle.Path, StringComparer.Ordinal))
                {
                    moveAside.Add(obstacle.Path);
                }

                continue;
            }

            MarkConflict(plan, path, lastBase);
        }

        // What is moved aside is gone from the workspace: deleting inside it would find nothing.
        plan.Deletes.RemoveAll(d => moveAside.Any(m => d == m || d.StartsWith(m + "/", StringComparison.Ordinal)));
        plan.Conflicts.Sort(StringComparer.Ordinal);
        return moveAside;
    }

    /// <summary>A write that cannot happen: a conflict, and the next sync's base stays what it was for that path.</summary>
    public static void MarkConflict(FilePlan plan, string path, IReadOnlyDictionary<string, string>? lastBase)
    {
        plan.Writes.Remove(path);
        plan.Conflicts.Add(path);
        if (lastBase is not null && lastBase.TryGetValue(path, out var was))
        {
            plan.NewBase[path] = was;
        }
        else
        {
            plan.NewBase.Remove(path);
        }
    }

    /// <summary>Whether the obstacle holds nothing but files this sync deletes (so it goes anyway, nothing is lost).</summary>
    private static bool IsOwnedBySync(string workspace, (string Path, WorkspacePath.Kind Kind) obstacle, HashSet<string> deletes) => obstacle.Kind switch
    {
        WorkspacePath.Kind.File => deletes.Contains(obstacle.Path),
        WorkspacePath.Kind.Folder => WorkspacePath.NonFoldersUnder(workspace, obstacle.Path).All(deletes.Contains),
        _ => false,
    };
}
