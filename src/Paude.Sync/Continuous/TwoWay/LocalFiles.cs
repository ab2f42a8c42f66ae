using System.IO.Hashing;
using LibGit2Sharp;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous.TwoWay;

/// <summary>
/// The local side of two-way sync: regular files under the workspace (links are neither followed nor synced), minus the
/// default and user excludes and <c>.gitignore</c>, each with its XXH3-128 content id (the helper's hash).
/// </summary>
internal static class LocalFiles
{
    public static Dictionary<string, ContentId> List(string root, PathRules rules, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, ContentId>(StringComparer.Ordinal);
        using var repo = OpenRepository(root);
        Walk(new DirectoryInfo(root), "", rules, repo, files, cancellationToken);
        return files;
    }

    /// <summary>
    /// The files at or under the given relative paths only (what the watch reported), with the same rules as
    /// <see cref="List"/>: excluded, git-ignored, <c>.git</c>, the sync's own temporary names and anything reached
    /// through a link are left out; a path that is gone lists nothing.
    /// </summary>
    public static Dictionary<string, ContentId> ListScoped(string root, PathRules rules, IEnumerable<string> scope, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, ContentId>(StringComparer.Ordinal);
        using var repo = OpenRepository(root);
        foreach (var path in scope)
        {
            var segments = path.Split('/');
            if (!PathRules.IsSafeRelative(path, rules.IgnoresCase) || rules.IsExcluded(path) || IsGitIgnored(repo, path)
                || segments.Any(n => n == ".git" || n.StartsWith(PathRules.StagingPrefix, StringComparison.Ordinal) || n.StartsWith(TwoWayApplier.TempPrefix, StringComparison.Ordinal)))
            {
                continue;
            }

            // No link anywhere on the way (the full listing never follows one either).
            string full = root;
            bool linked = false;
            foreach (var segment in segments)
            {
                full = Path.Combine(full, segment);
                var info = new FileInfo(full);
                if (info.LinkTarget is not null) { linked = true; break; }
            }

            if (linked) continue;
            if (Directory.Exists(full)) Walk(new DirectoryInfo(full), path + "/", rules, repo, files, cancellationToken);
            else if (File.Exists(full))
            {
                try { files[path] = Hash(full); }
                catch (IOException) { /* removed or replaced while listed: the next round sees it */ }
                catch (UnauthorizedAccessException) { }
            }
        }

        return files;
    }

    /// <summary>The workspace's repository, for its <c>.gitignore</c> rules; <c>null</c> when it is none.</summary>
    public static Repository? OpenRepository(string root) => Repository.IsValid(root) ? new Repository(root) : null;

    /// <summary>
    /// Whether git ignores a relative file path or one of its folders (by the <c>.gitignore</c> files of the workspace,
    /// nested ones too); never when <paramref name="repo"/> is <c>null</c>. The same rule the local listing applies.
    /// </summary>
    public static bool IsGitIgnored(Repository? repo, string path)
    {
        if (repo is null) return false;
        for (int slash = path.IndexOf('/', StringComparison.Ordinal); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            if (repo.Ignore.IsPathIgnored(path[..(slash + 1)])) return true;
        }

        return repo.Ignore.IsPathIgnored(path);
    }

    public static ContentId Hash(string full)
    {
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        var hash = new XxHash128();
        hash.Append(stream);
        return new ContentId(Convert.ToHexStringLower(hash.GetCurrentHash()));
    }

    public static ContentId Id(byte[] hash) => new(Convert.ToHexStringLower(hash));

    private static void Walk(DirectoryInfo dir, string prefix, PathRules rules, Repository? repo, Dictionary<string, ContentId> files, CancellationToken cancellationToken)
    {
        foreach (var info in dir.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = prefix + info.Name;
            if (info.Name == ".git" || info.Name.StartsWith(PathRules.StagingPrefix, StringComparison.Ordinal) || info.Name.StartsWith(TwoWayApplier.TempPrefix, StringComparison.Ordinal)
                || rules.IsExcluded(path) || info.LinkTarget is not null)
            {
                continue;
            }

            if (info is DirectoryInfo sub)
            {
                if (repo is null || !repo.Ignore.IsPathIgnored(path + "/")) Walk(sub, path + "/", rules, repo, files, cancellationToken);
            }
            else if (PathRules.IsSafeRelative(path, rules.IgnoresCase) && (repo is null || !repo.Ignore.IsPathIgnored(path)))
            {
                try { files[path] = Hash(info.FullName); }
                catch (IOException) { /* removed or replaced while listed: the next round sees it */ }
                catch (UnauthorizedAccessException) { }
            }
        }
    }
}
