namespace Paude.Execution;

/// <summary>
/// Finds and removes git metadata in a folder extracted from a session, before it is moved into place.
/// </summary>
/// <remarks>
/// A hostile agent can plant a <c>.git</c> folder whose <c>config</c> sets <c>core.fsmonitor</c> (or a pager,
/// hooks, an alias), a <c>.git</c> file pointing elsewhere, or a bare repository layout: the user's shell prompt or
/// next <c>git status</c> in the downloaded folder would run the agent's code on the host. Commits come back through
/// sync, never as a copied <c>.git</c>. Removed are: every entry (file, folder or link) whose name git treats as
/// <c>.git</c> on some file system (git's <c>is_ntfs_dotgit</c> and <c>is_hfs_dotgit</c> in <c>path.c</c>/<c>utf8.c</c>:
/// any case, trailing dots and spaces, an NTFS stream suffix after ':', the short name <c>git~1</c>, the code points
/// HFS+ ignores), every link whose target passes through such a name, and every folder laid out as a repository
/// (<c>HEAD</c> beside <c>objects</c> and <c>refs</c>, or beside <c>commondir</c>), each with its subtree. Nothing is
/// followed: links are looked at as links (lstat), never descended into.
/// </remarks>
internal static class GitMetadata
{
    /// <summary>
    /// Removes the git metadata under <paramref name="root"/> and returns the top-most relative paths removed
    /// ('/'-separated, in ordinal order). When <paramref name="root"/> itself is laid out as a repository its
    /// <c>HEAD</c> is removed: without it git no longer takes the folder for one, and the rest stays ordinary files.
    /// </summary>
    public static IReadOnlyList<string> Remove(string root)
    {
        var removed = new List<string>();
        if (IsRepositoryLayout(root))
        {
            foreach (var head in Entries(root).Where(e => e.Name.Equals("HEAD", StringComparison.OrdinalIgnoreCase)))
            {
                Delete(head);
                removed.Add(head.Name);
            }
        }

        // An explicit stack: a hostile tree can be thousands of folders deep.
        var pending = new Stack<(DirectoryInfo Directory, string Relative)>();
        pending.Push((new DirectoryInfo(root), string.Empty));
        while (pending.Count > 0)
        {
            var (directory, relative) = pending.Pop();
            foreach (var entry in Entries(directory.FullName))
            {
                var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                var isLink = entry.LinkTarget is not null;
                if (IsDotGit(entry.Name)
                    || (isLink && entry.LinkTarget!.Split('/').Any(IsDotGit))
                    || (!isLink && entry is DirectoryInfo && IsRepositoryLayout(entry.FullName)))
                {
                    Delete(entry);
                    removed.Add(path);
                }
                else if (!isLink && entry is DirectoryInfo child)
                {
                    pending.Push((child, path));
                }
            }
        }

        removed.Sort(StringComparer.Ordinal);
        return removed;
    }

    /// <summary>Whether git would take a path component named <paramref name="name"/> for <c>.git</c> on some file system.</summary>
    public static bool IsDotGit(string name) => name.Split('\\').Any(part => IsNtfsDotGit(part) || IsHfsDotGit(part));

    // is_ntfs_dotgit: ".git" or "git~1" in any case, then only dots and spaces up to the end or an NTFS stream ':'.
    private static bool IsNtfsDotGit(string name)
    {
        int start;
        if (name.StartsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            start = 4;
        }
        else if (name.StartsWith("git~1", StringComparison.OrdinalIgnoreCase))
        {
            start = 5;
        }
        else
        {
            return false;
        }

        for (var i = start; i < name.Length; i++)
        {
            if (name[i] == ':')
            {
                return true;
            }

            if (name[i] is not ('.' or ' '))
            {
                return false;
            }
        }

        return true;
    }

    // is_hfs_dotgit: HFS+ ignores these code points in names and folds case, so ".g\u200Cit" is ".git" there.
    private static bool IsHfsDotGit(string name)
    {
        var folded = new string([.. name.Where(c => !IsHfsIgnorable(c))]);
        return folded.Equals(".git", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsHfsIgnorable(char c) => c is (>= '\u200C' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u206A' and <= '\u206F') or '\uFEFF';

    // What git's is_git_directory looks for (HEAD, objects and refs; or a commondir holding the latter two), by name
    // only and in any case: any type counts, a link included, since git follows links there and a case-insensitive
    // host would find "head" as HEAD.
    private static bool IsRepositoryLayout(string directory)
    {
        var names = Entries(directory).Select(e => e.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return names.Contains("HEAD") && ((names.Contains("objects") && names.Contains("refs")) || names.Contains("commondir"));
    }

    private static List<FileSystemInfo> Entries(string directory) =>
        new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false, MatchType = MatchType.Simple })
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();

    private static void Delete(FileSystemInfo entry)
    {
        if (entry.LinkTarget is null && entry is DirectoryInfo directory)
        {
            // Directory.Delete does not follow links inside, so nothing outside the folder is touched.
            directory.Delete(recursive: true);
        }
        else
        {
            File.Delete(entry.FullName); // A file or a link (also a link to a folder): unlink, never its target.
        }
    }
}
