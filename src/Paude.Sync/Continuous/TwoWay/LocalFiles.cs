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
        using var repo = Repository.IsValid(root) ? new Repository(root) : null;
        Walk(new DirectoryInfo(root), "", rules, repo, files, cancellationToken);
        return files;
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
            else if (PathRules.IsSafeRelative(path) && (repo is null || !repo.Ignore.IsPathIgnored(path)))
            {
                try { files[path] = Hash(info.FullName); }
                catch (IOException) { /* removed or replaced while listed: the next round sees it */ }
                catch (UnauthorizedAccessException) { }
            }
        }
    }
}
