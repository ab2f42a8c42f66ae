using LibGit2Sharp;

namespace Paude.Sync.Git;

/// <summary>Small history questions answered with LibGit2Sharp.</summary>
internal static class GitHistory
{
    /// <summary>How much of a subject <see cref="DisplaySubject"/> keeps.</summary>
    public const int SubjectLength = 72;

    /// <summary>Whether <paramref name="ancestor"/> is reachable from <paramref name="descendant"/> (or equal).</summary>
    public static bool IsAncestor(Repository repo, Commit ancestor, Commit descendant) =>
        ancestor.Id == descendant.Id || repo.ObjectDatabase.FindMergeBase(ancestor, descendant)?.Id == ancestor.Id;

    /// <summary>Commits reachable from <paramref name="from"/> but not from any of <paramref name="excluded"/>.</summary>
    public static List<Commit> Only(Repository repo, Commit from, IEnumerable<Commit> excluded)
    {
        var exclude = excluded.ToList();
        var filter = new CommitFilter { IncludeReachableFrom = from, SortBy = CommitSortStrategies.Topological };
        if (exclude.Count > 0)
        {
            filter.ExcludeReachableFrom = exclude;
        }

        return [.. repo.Commits.QueryBy(filter)];
    }

    /// <summary>Every commit a local ref (other than <paramref name="except"/>) points at, peeled.</summary>
    public static IEnumerable<Commit> RefTips(Repository repo, string? except = null) =>
        repo.Refs
            .Where(r => r.CanonicalName != except && r.CanonicalName != "HEAD")
            .Select(r => ToCommit(r.ResolveToDirectReference()?.Target))
            .OfType<Commit>()
            .DistinctBy(c => c.Id);

    /// <summary>The commit an object stands for (annotated tags are followed), or <c>null</c>.</summary>
    public static Commit? ToCommit(GitObject? target) => target switch
    {
        Commit commit => commit,
        TagAnnotation tag => ToCommit(tag.Target),
        _ => null,
    };

    /// <summary><c>&lt;short sha&gt; &lt;subject&gt;</c>, for a person to read; the commit may be a hostile session's.</summary>
    public static string Describe(Commit commit) => $"{commit.Sha[..10]} {DisplaySubject(commit.MessageShort)}";

    /// <summary>
    /// A commit subject to show: its first <see cref="SubjectLength"/> characters, control characters as spaces. A
    /// session's subject can hold ESC sequences (a terminal would run them) and be megabytes long.
    /// </summary>
    public static string DisplaySubject(string subject) =>
        new([.. subject.Take(SubjectLength).Select(c => char.IsControl(c) ? ' ' : c)]);

    /// <summary>
    /// Uncommitted changes (staged, modified, deleted, untracked; not ignored, not excluded). No rename detection:
    /// a staged rename must list both the old path (gone) and the new one.
    /// </summary>
    public static List<string> Dirty(Repository repo, Func<string, bool> excluded) =>
        [.. repo.RetrieveStatus(new StatusOptions { IncludeIgnored = false, IncludeUntracked = true, RecurseUntrackedDirs = true, DetectRenamesInIndex = false, DetectRenamesInWorkDir = false })
            .Where(e => e.State != FileStatus.Unaltered && !e.State.HasFlag(FileStatus.Ignored) && !excluded(e.FilePath))
            .Select(e => e.FilePath)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// The uncommitted changes a reset or merge could lose: every tracked file whatever the excludes say (a reset
    /// resets them all: an edit to a tracked <c>bin/run.sh</c> is work), and untracked files that are not excluded.
    /// </summary>
    public static List<string> WorkAtRisk(Repository repo, Func<string, bool> excluded)
    {
        var indexed = repo.Index.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
        var head = repo.Info.IsHeadUnborn ? null : repo.Head.Tip;
        return Dirty(repo, p => excluded(p) && !indexed.Contains(p) && head?[p] is null);
    }

    public static Signature Signature(Repository repo, DateTimeOffset now) =>
        repo.Config.BuildSignature(now) ?? new Signature("Paude Sync", "paude-sync@localhost", now);

    /// <summary>
    /// A commit of the working tree's uncommitted state (tracked and untracked, not ignored) on top of
    /// <paramref name="head"/>, built without touching the index or the working tree.
    /// </summary>
    public static Commit Snapshot(Repository repo, Commit? head, IEnumerable<string> dirty, Signature signature, string message)
    {
        var definition = head is null ? new TreeDefinition() : TreeDefinition.From(head.Tree);
        var root = repo.Info.WorkingDirectory;
        foreach (var path in dirty)
        {
            var full = Path.Combine(root, path);
            var info = new FileInfo(full);
            if (info.LinkTarget is not null)
            {
                var target = repo.ObjectDatabase.CreateBlob(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(info.LinkTarget)));
                definition.Add(path, target, Mode.SymbolicLink);
            }
            else if (info.Exists)
            {
                var executable = !OperatingSystem.IsWindows() && (info.UnixFileMode & UnixFileMode.UserExecute) != 0;
                definition.Add(path, repo.ObjectDatabase.CreateBlob(full), executable ? Mode.ExecutableFile : Mode.NonExecutableFile);
            }
            else
            {
                definition.Remove(path);
            }
        }

        var tree = repo.ObjectDatabase.CreateTree(definition);
        return repo.ObjectDatabase.CreateCommit(signature, signature, message, tree, head is null ? [] : [head], prettifyMessage: true);
    }
}
