using System.Security.Cryptography;
using LibGit2Sharp;

namespace Paude.Sync.Files;

/// <summary>Lists and hashes the local workspace's regular files (excludes, <c>.gitignore</c> when it is a repository).</summary>
internal static class LocalTree
{
    public static Dictionary<string, string> Scan(string root, PathRules rules, Repository? repo, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(root, string.Empty, rules, repo, result, cancellationToken);
        return result;
    }

    public static string Hash(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The state of one workspace path as a push sees it: <c>false</c> for a directory or a symbolic link (never sent
    /// as content), else <c>true</c> with the regular file's hash, or <c>null</c> when nothing is there.
    /// </summary>
    public static bool TryHashRegular(string workspace, string path, out string? hash)
    {
        var full = Path.Combine(workspace, path);
        var info = new FileInfo(full);
        if (Directory.Exists(full) || info.LinkTarget is not null)
        {
            hash = null;
            return false;
        }

        hash = info.Exists ? Hash(full) : null;
        return true;
    }

    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Whether a local path is excluded by the rules or ignored by git.</summary>
    public static bool IsIgnored(string relative, PathRules rules, Repository? repo) =>
        rules.IsExcluded(relative) || (repo is not null && repo.Ignore.IsPathIgnored(relative));

    private static void Walk(string root, string prefix, PathRules rules, Repository? repo, Dictionary<string, string> result, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var dir = new DirectoryInfo(prefix.Length == 0 ? root : Path.Combine(root, prefix));
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                if (entry.Name != ".git" && !IsIgnored(relative, rules, repo) && !(repo is not null && repo.Ignore.IsPathIgnored(relative + "/")))
                {
                    Walk(root, relative, rules, repo, result, cancellationToken);
                }
            }
            else if (entry is FileInfo file && !IsIgnored(relative, rules, repo))
            {
                result[relative] = Hash(file.FullName);
            }
        }
    }
}
