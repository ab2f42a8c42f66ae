using LibGit2Sharp;
using Paude.Sync.Files;

namespace Paude.Sync.Git;

/// <summary>
/// What a first push sends: the objects reachable from the branch (loose as they are, packed ones made loose) and
/// nothing else of the repository, and the working files.
/// </summary>
internal sealed class FirstPushPlan
{
    /// <summary>Loose objects reachable from the branch (id, file).</summary>
    public List<(ObjectId Id, string Loose)> Objects { get; } = [];

    /// <summary>
    /// Objects of the branch that are only in a pack. They travel in a new pack of their own (<see cref="BranchPack"/>:
    /// stored entries copied, the rest deflated here), never as the repository's packs: a pack holds other branches,
    /// stashes, other sessions' fetched work and amended-away objects too, none of which the session may see.
    /// Re-packing only the branch with a delta search would cost what made receive-pack too slow here.
    /// </summary>
    public List<ObjectId> PackedObjects { get; } = [];

    /// <summary>Working files in tar order; <c>Committed</c> is set for a tracked file deleted locally (its committed content is sent).</summary>
    public List<(string Path, (ObjectId Id, Mode Mode)? Committed)> Files { get; } = [];

    /// <summary>Uncommitted files sent (path → SHA-256), for the manifest.</summary>
    public Dictionary<string, string> Uploaded { get; } = new(StringComparer.Ordinal);

    public List<string> DeletedLocally { get; } = [];

    /// <summary>The head commit's tree as index entries (what <c>git read-tree</c> of it holds).</summary>
    public List<GitIndexFile.Entry> IndexEntries { get; } = [];

    public int Commits { get; private set; }

    /// <summary>
    /// The plan, or <c>null</c> when the repository borrows objects from another (alternates): the full path then runs.
    /// <paramref name="changed"/> is every path git status lists (excluded ones too): tracked files not in it are
    /// taken to be on disk as committed, so only changed paths cost a stat here.
    /// </summary>
    public static FirstPushPlan? Create(Repository repo, Commit head, IReadOnlyList<string> changed, Func<string, bool> excluded, CancellationToken cancellationToken)
    {
        var objects = Path.Combine(repo.Info.Path, "objects");
        if (File.Exists(Path.Combine(objects, "info", "alternates")))
        {
            return null;
        }

        var walk = new ObjectWalk(new FirstPushPlan(), objects, new HashSet<string>(changed, StringComparer.Ordinal), repo.Info.WorkingDirectory);

        // The head commit's tree first: one walk yields its objects, its files and its index entries.
        walk.AddTree(head.Tree, string.Empty);
        foreach (var commit in repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = head }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            walk.Plan.Commits++;
            walk.AddTree(commit.Tree, null);
            walk.Add(commit.Id);
        }

        var plan = walk.Plan;

        // In the order of their folders (.git/objects/xx), as a directory walk sends them: the session's file system
        // then fills one folder after another instead of all 256 at random.
        plan.Objects.Sort((a, b) => string.CompareOrdinal(a.Id.Sha, b.Id.Sha));
        plan.PackedObjects.Sort((a, b) => string.CompareOrdinal(a.Sha, b.Sha));

        var root = repo.Info.WorkingDirectory;
        foreach (var path in changed.Where(p => !excluded(p)))
        {
            var info = new FileInfo(Path.Combine(root, path));
            var regular = info.Exists && info.LinkTarget is null;
            if (!walk.Tracked.Contains(path) && (info.Exists || info.LinkTarget is not null))
            {
                plan.Files.Add((path, null));
            }

            if (regular)
            {
                plan.Uploaded[path] = LocalTree.Hash(info.FullName);
            }
        }

        return plan;
    }

    /// <summary>One pass over the branch's trees: loose objects to send, and for the head tree its files and index.</summary>
    private sealed class ObjectWalk(FirstPushPlan plan, string objects, HashSet<string> changed, string root)
    {
        private readonly HashSet<string> _loose = LooseObjects(objects);
        private readonly HashSet<ObjectId> _seen = [];

        public FirstPushPlan Plan { get; } = plan;

        public HashSet<string> Tracked { get; } = new(StringComparer.Ordinal);

        public void Add(ObjectId id)
        {
            if (_loose.Contains(id.Sha))
            {
                Plan.Objects.Add((id, Path.Combine(objects, id.Sha[..2], id.Sha[2..])));
            }
            else
            {
                Plan.PackedObjects.Add(id);
            }
        }

        /// <summary>
        /// Adds the tree's objects not seen yet; with a <paramref name="prefix"/> (the head tree) also every file and
        /// index entry, even of a subtree seen before (the same content at two paths is two sets of files).
        /// </summary>
        public void AddTree(Tree tree, string? prefix)
        {
            if (_seen.Add(tree.Id))
            {
                Add(tree.Id);
            }
            else if (prefix is null)
            {
                return;
            }

            foreach (var entry in tree)
            {
                var path = prefix is null ? null : prefix + entry.Name; // '/'-separated on every host, as in the tree
                switch (entry.TargetType)
                {
                    case TreeEntryTargetType.Tree:
                        AddTree((Tree)entry.Target, path is null ? null : path + "/");
                        break;
                    case TreeEntryTargetType.Blob:
                        if (_seen.Add(entry.Target.Id))
                        {
                            Add(entry.Target.Id);
                        }

                        if (path is not null)
                        {
                            AddFile(path, entry);
                        }

                        break;
                    case TreeEntryTargetType.GitLink when path is not null:
                        Plan.IndexEntries.Add(new GitIndexFile.Entry(path, Mode.GitLink, entry.Target.Id));
                        break;
                }
            }
        }

        private void AddFile(string path, TreeEntry entry)
        {
            Tracked.Add(path);
            Plan.IndexEntries.Add(new GitIndexFile.Entry(path, entry.Mode, entry.Target.Id));
            if (!changed.Contains(path))
            {
                Plan.Files.Add((path, null));
                return;
            }

            var full = Path.Combine(root, path);
            var info = new FileInfo(full);
            if (info.Exists || info.LinkTarget is not null)
            {
                Plan.Files.Add((path, null));
            }
            else if (!Directory.Exists(full))
            {
                Plan.DeletedLocally.Add(path);
                if (entry.Mode != Mode.SymbolicLink)
                {
                    Plan.Files.Add((path, (entry.Target.Id, entry.Mode)));
                }
            }
        }

        /// <summary>Every loose object's id: one listing per <c>objects/xx</c> folder instead of a stat per object.</summary>
        private static HashSet<string> LooseObjects(string objects)
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var folder in Directory.EnumerateDirectories(objects))
            {
                var prefix = Path.GetFileName(folder);
                if (prefix.Length != 2 || !Uri.IsHexDigit(prefix[0]) || !Uri.IsHexDigit(prefix[1]))
                {
                    continue;
                }

                foreach (var file in Directory.EnumerateFiles(folder))
                {
                    ids.Add(prefix + Path.GetFileName(file));
                }
            }

            return ids;
        }
    }
}
