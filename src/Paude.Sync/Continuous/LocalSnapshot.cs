using LibGit2Sharp;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous;

/// <summary>
/// A cheap picture of the workspace for the periodic rescan: every file a push would consider, with its size and
/// last-write time (no content hashing, no session calls). Two snapshots differing means a round is due; the round
/// itself then decides by content.
/// </summary>
internal sealed class LocalSnapshot
{
    private readonly Dictionary<string, (long Length, long Ticks)> _files;
    private readonly string _head;

    private LocalSnapshot(Dictionary<string, (long, long)> files, string head)
    {
        _files = files;
        _head = head;
    }

    public int Count => _files.Count;

    public static LocalSnapshot Take(string root, PathRules rules, Repository? repo, bool withGitRefs, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        Walk(root, string.Empty, rules, repo, files, cancellationToken);
        // The branch and its tip: a commit changes no working file, yet a branch push has something to send.
        var head = withGitRefs && repo is not null ? $"{repo.Head.CanonicalName} {repo.Head.Tip?.Sha}" : string.Empty;
        return new LocalSnapshot(files, head);
    }

    public bool SameAs(LocalSnapshot other) =>
        _head == other._head && _files.Count == other._files.Count && _files.All(f => other._files.TryGetValue(f.Key, out var o) && o == f.Value);

    private static void Walk(string root, string prefix, PathRules rules, Repository? repo, Dictionary<string, (long, long)> files, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var dir = new DirectoryInfo(prefix.Length == 0 ? root : Path.Combine(root, prefix));
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = dir.EnumerateFileSystemInfos().ToList();
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // Deleted or locked while walking: the next round's full scan decides.
            return;
        }

        foreach (var entry in entries)
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            if (entry.LinkTarget is not null || entry.Name == ".git" || LocalTree.IsIgnored(relative, rules, repo))
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                if (!(repo is not null && repo.Ignore.IsPathIgnored(relative + "/")))
                {
                    Walk(root, relative, rules, repo, files, cancellationToken);
                }
            }
            else if (entry is FileInfo file)
            {
                files[relative] = (file.Length, file.LastWriteTimeUtc.Ticks);
            }
        }
    }
}
