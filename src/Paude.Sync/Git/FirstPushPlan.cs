using LibGit2Sharp;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>
/// What a first push sends: the branch's loose objects, the repository's packs when part of the branch's history is
/// packed, and the working files.
/// </summary>
internal sealed class FirstPushPlan
{
    /// <summary>Loose objects reachable from the branch (id, file).</summary>
    public List<(ObjectId Id, string Loose)> Objects { get; } = [];

    /// <summary>
    /// The repository's <c>.pack</c> files, when an object of the branch is not loose. Packs are immutable and
    /// content-addressed; each travels with its <c>.idx</c> (or the session builds one with <c>git index-pack</c>).
    /// They may hold objects of other branches too (unreferenced in the session): re-packing only the branch would
    /// cost a delta search of the whole history, the reason receive-pack was too slow here.
    /// </summary>
    public List<string> Packs { get; } = [];

    /// <summary>Working files in tar order; <c>Committed</c> is set for a tracked file deleted locally (its committed content is sent).</summary>
    public List<(string Path, (ObjectId Id, Mode Mode)? Committed)> Files { get; } = [];

    /// <summary>Uncommitted files sent (path → SHA-256), for the manifest.</summary>
    public Dictionary<string, string> Uploaded { get; } = new(StringComparer.Ordinal);

    public List<string> DeletedLocally { get; } = [];

    /// <summary>The head commit's tree as index entries (what <c>git read-tree</c> of it holds).</summary>
    public List<GitIndexFile.Entry> IndexEntries { get; } = [];

    public int Commits { get; private set; }

    /// <summary>The plan, or <c>null</c> when the repository borrows objects from another (alternates): the full path then runs.</summary>
    public static FirstPushPlan? Create(Repository repo, Commit head, IEnumerable<string> dirty, CancellationToken cancellationToken)
    {
        var plan = new FirstPushPlan();
        var objects = Path.Combine(repo.Info.Path, "objects");
        if (File.Exists(Path.Combine(objects, "info", "alternates")))
        {
            return null;
        }

        var packed = false;
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

            Add(tree.Id);
            foreach (var entry in tree)
            {
                if (entry.TargetType == TreeEntryTargetType.Tree)
                {
                    AddTree((Tree)entry.Target);
                }
                else if (entry.TargetType == TreeEntryTargetType.Blob && seen.Add(entry.Target.Id))
                {
                    Add(entry.Target.Id);
                }
            }

            return true;
        }

        void Add(ObjectId id)
        {
            if (Loose(id) is { } file)
            {
                plan.Objects.Add((id, file));
            }
            else
            {
                packed = true;
            }
        }

        foreach (var commit in repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = head }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            plan.Commits++;
            AddTree(commit.Tree);
            Add(commit.Id);
        }

        // In the order of their folders (.git/objects/xx), as a directory walk would send them: the session's file
        // system then fills one folder after the other instead of all 256 at random (measured ~1.3x slower under load).
        plan.Objects.Sort((a, b) => string.CompareOrdinal(a.Id.Sha, b.Id.Sha));

        if (packed)
        {
            plan.Packs.AddRange(Directory.EnumerateFiles(Path.Combine(objects, "pack"), "*.pack").Order(StringComparer.Ordinal));
        }

        var root = repo.Info.WorkingDirectory;
        var tracked = new HashSet<string>(StringComparer.Ordinal);
        AddFiles(plan, root, head.Tree, string.Empty, tracked);
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

    private static void AddFiles(FirstPushPlan plan, string root, Tree tree, string prefix, HashSet<string> tracked)
    {
        foreach (var entry in tree)
        {
            // The index path is built from the names ('/'-separated on every host), not from the host-style Path.
            var indexPath = prefix + entry.Name;
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                AddFiles(plan, root, (Tree)entry.Target, indexPath + "/", tracked);
                continue;
            }

            if (entry.TargetType == TreeEntryTargetType.GitLink)
            {
                plan.IndexEntries.Add(new GitIndexFile.Entry(indexPath, Mode.GitLink, entry.Target.Id));
            }

            if (entry.TargetType != TreeEntryTargetType.Blob)
            {
                continue;
            }

            plan.IndexEntries.Add(new GitIndexFile.Entry(indexPath, entry.Mode, entry.Target.Id));

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
