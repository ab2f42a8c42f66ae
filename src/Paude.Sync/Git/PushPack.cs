using LibGit2Sharp;

namespace Paude.Sync.Git;

/// <summary>
/// The objects of commits the session lacks, as one pack, for the one-exec push of new local commits.
/// <para>
/// Why a pack of exactly the new objects (not receive-pack, not a thin pack): the session is known to hold the
/// commit of the last push and everything it reaches, so the objects to send are found by comparing each new
/// commit's tree with its first parent's and descending only into subtrees whose id changed — a push of one commit
/// that changes one file walks one path of trees, not the 5,000-file tree. LibGit2Sharp's pack builder deltas
/// those objects against each other only, so the pack is self-contained (no <c>--fix-thin</c> base lookup); the
/// few objects a thin pack would save are not worth a second walk. An object the session already has (a revert
/// to an older blob) is sent again: harmless, <c>index-pack</c> accepts duplicates.
/// </para>
/// </summary>
internal static class PushPack
{
    /// <summary>
    /// The pack bytes and the number of commits in it: every commit reachable from <paramref name="head"/> but not
    /// from <paramref name="since"/>, with the trees and blobs they introduce.
    /// </summary>
    public static (byte[] Pack, int Commits) Build(Repository repo, Commit head, Commit since, string scratch, CancellationToken cancellationToken)
    {
        var commits = GitHistory.Only(repo, head, [since]);
        var objects = new List<ObjectId>();
        var seen = new HashSet<ObjectId>();
        foreach (var commit in commits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            objects.Add(commit.Id);
            AddChangedTree(commit.Tree, commit.Parents.FirstOrDefault()?.Tree, objects, seen);
        }

        Directory.CreateDirectory(scratch);
        try
        {
            repo.ObjectDatabase.Pack(new PackBuilderOptions(scratch), builder =>
            {
                foreach (var id in objects)
                {
                    builder.Add(id);
                }
            });
            var pack = Directory.EnumerateFiles(scratch, "*.pack").Single();
            return (File.ReadAllBytes(pack), commits.Count);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Adds <paramref name="tree"/> and, recursively, every entry that differs from the same name in <paramref name="before"/>.</summary>
    private static void AddChangedTree(Tree tree, Tree? before, List<ObjectId> objects, HashSet<ObjectId> seen)
    {
        if (tree.Id == before?.Id || !seen.Add(tree.Id))
        {
            return;
        }

        objects.Add(tree.Id);
        foreach (var entry in tree)
        {
            var old = before?[entry.Name];
            if (old is not null && old.Target.Id == entry.Target.Id)
            {
                continue;
            }

            switch (entry.TargetType)
            {
                case TreeEntryTargetType.Tree:
                    AddChangedTree((Tree)entry.Target, old?.TargetType == TreeEntryTargetType.Tree ? (Tree)old.Target : null, objects, seen);
                    break;
                case TreeEntryTargetType.Blob when seen.Add(entry.Target.Id):
                    objects.Add(entry.Target.Id);
                    break;
            }
        }
    }
}
