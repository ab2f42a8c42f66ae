using LibGit2Sharp;
using Paude.Errors;

namespace Paude.Sync.Git;

/// <summary>
/// Refuses, before anything is checked out, a session file too large to check out: libgit2 holds a blob whole in
/// memory to merge it or write it to the working tree, and a session's pack compresses well — 0.58 MB on the wire
/// became 577 MiB of the host process's memory on a merge (a 600 MB file of zeros). The branch strategy only stores
/// the objects (streamed, no growth measured) and stays open for such a file; the user checks it out with git.
/// Sizes come from the object headers: nothing is inflated to measure.
/// </summary>
internal static class CheckoutBlobLimit
{
    /// <summary>The largest file a merge or overwrite checks out: 1 GiB.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Every file of <paramref name="to"/> that <paramref name="from"/> (null: nothing) does not have is within <see cref="MaxBytes"/>.</summary>
    /// <exception cref="UnsafeContentException">A file is larger; nothing was changed.</exception>
    public static void Ensure(Repository repo, Tree? from, Tree to)
    {
        var blobs = from is null
            ? Blobs(to)
            : repo.Diff.Compare<TreeChanges>(from, to)
                .Where(c => c.Status != ChangeKind.Deleted && c.Mode != Mode.GitLink && c.Mode != Mode.Nonexistent)
                .Select(c => (c.Path, c.Oid));
        foreach (var (path, id) in blobs)
        {
            var size = repo.ObjectDatabase.RetrieveObjectMetadata(id).Size;
            if (size > MaxBytes)
            {
                throw new UnsafeContentException(path, $"is a file of {size} bytes; a merge or overwrite checks files out whole in memory, at most {MaxBytes} bytes each. Nothing was changed: sync with the branch strategy and check it out with git");
            }
        }
    }

    private static IEnumerable<(string Path, ObjectId Id)> Blobs(Tree tree)
    {
        foreach (var entry in tree)
        {
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                foreach (var inner in Blobs((Tree)entry.Target))
                {
                    yield return inner;
                }
            }
            else if (entry.TargetType == TreeEntryTargetType.Blob)
            {
                yield return (entry.Path, entry.Target.Id);
            }
        }
    }
}
