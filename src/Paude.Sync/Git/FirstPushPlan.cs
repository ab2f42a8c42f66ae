using LibGit2Sharp;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>What a first push sends: the branch's objects (loose files where they are loose) and the working files.</summary>
internal sealed class FirstPushPlan
{
    /// <summary>Objects reachable from the branch; the loose file when the object is stored loose, else <c>null</c> (a packed blob).</summary>
    public List<(ObjectId Id, string? Loose)> Objects { get; } = [];

    /// <summary>Working files in tar order; <c>Committed</c> is set for a tracked file deleted locally (its committed content is sent).</summary>
    public List<(string Path, (ObjectId Id, Mode Mode)? Committed)> Files { get; } = [];

    /// <summary>Uncommitted files sent (path → SHA-256), for the manifest.</summary>
    public Dictionary<string, string> Uploaded { get; } = new(StringComparer.Ordinal);

    public List<string> DeletedLocally { get; } = [];

    public int Commits { get; private set; }

    /// <summary>The plan, or <c>null</c> when a commit or tree is only in a pack (not readable raw here).</summary>
    public static FirstPushPlan? Create(Repository repo, Commit head, IEnumerable<string> dirty, CancellationToken cancellationToken)
    {
        var plan = new FirstPushPlan();
        var objects = Path.Combine(repo.Info.Path, "objects");
        string? Loose(ObjectId id)
        {
            var path = Path.Combine(objects, id.Sha[..2], id.Sha[2..]);
            return File.Exists(path) ? path : null;
        }

        var seen = new HashSet<ObjectId>();
        bool AddTree(Tree tree)
        {
            if (!seen.Add(tree.Id))
            {
                return true;
            }

            if (Loose(tree.Id) is not { } file)
            {
                return false;
            }

            plan.Objects.Add((tree.Id, file));
            foreach (var entry in tree)
            {
                if (entry.TargetType == TreeEntryTargetType.Tree)
                {
                    if (!AddTree((Tree)entry.Target))
                    {
                        return false;
                    }
                }
                else if (entry.TargetType == TreeEntryTargetType.Blob && seen.Add(entry.Target.Id))
                {
                    plan.Objects.Add((entry.Target.Id, Loose(entry.Target.Id)));
                }
            }

            return true;
        }

        foreach (var commit in repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = head }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            plan.Commits++;
            if (Loose(commit.Id) is not { } file || !AddTree(commit.Tree))
            {
                return null;
            }

            plan.Objects.Add((commit.Id, file));
        }

        var root = repo.Info.WorkingDirectory;
        var tracked = new HashSet<string>(StringComparer.Ordinal);
        AddFiles(plan, root, head.Tree, tracked);
        foreach (var path in dirty)
        {
            var info = new FileInfo(Path.Combine(root, path));
            if (tracked.Contains(path) || !(info.Exists || info.LinkTarget is not null))
            {
                continue;
            }

            plan.Files.Add((path, null));
            if (info.LinkTarget is null)
            {
                plan.Uploaded[path] = LocalTree.Hash(info.FullName);
            }
        }

        foreach (var path in dirty.Where(tracked.Contains))
        {
            var info = new FileInfo(Path.Combine(root, path));
            if (info.Exists && info.LinkTarget is null)
            {
                plan.Uploaded[path] = LocalTree.Hash(info.FullName);
            }
        }

        return plan;
    }

    private static void AddFiles(FirstPushPlan plan, string root, Tree tree, HashSet<string> tracked)
    {
        foreach (var entry in tree)
        {
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                AddFiles(plan, root, (Tree)entry.Target, tracked);
                continue;
            }

            if (entry.TargetType != TreeEntryTargetType.Blob)
            {
                continue;
            }

            tracked.Add(entry.Path);
            var full = Path.Combine(root, entry.Path);
            var info = new FileInfo(full);
            if (info.Exists || info.LinkTarget is not null)
            {
                plan.Files.Add((entry.Path, null));
            }
            else if (!Directory.Exists(full))
            {
                plan.DeletedLocally.Add(entry.Path);
                if (entry.Mode != Mode.SymbolicLink)
                {
                    plan.Files.Add((entry.Path, (entry.Target.Id, entry.Mode)));
                }
            }
        }
    }
}
