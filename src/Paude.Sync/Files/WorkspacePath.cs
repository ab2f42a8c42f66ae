namespace Paude.Sync.Files;

/// <summary>
/// Looks at workspace paths component by component without following symbolic links (<see cref="FileSystemInfo.LinkTarget"/>
/// is read with readlink, i.e. on the link itself): a pull never writes or deletes through a link on the way, the way
/// git refuses to write beyond a symlinked leading path. .NET has no openat/O_NOFOLLOW for a whole path, so the check is
/// made when the plan is made (nothing changed on refusal) and again right before each write or delete.
/// </summary>
internal static class WorkspacePath
{
    /// <summary>What one path is, the link itself when it is a link.</summary>
    internal enum Kind
    {
        None,
        File,
        Folder,
        Link,
        Other,
    }

    public static Kind KindOf(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            return Kind.Link;
        }

        if (Directory.Exists(full))
        {
            return Kind.Folder;
        }

        return info.Exists ? ((info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0 ? Kind.Other : Kind.File) : Kind.None;
    }

    /// <summary>
    /// Throws <see cref="UnsafeLocalPathException"/> when a parent folder of <paramref name="relative"/> is a symbolic
    /// link (to anywhere, inside the workspace too). A missing or non-folder parent ends the walk: nothing can be
    /// reached through it (the type check reports a file in the way).
    /// </summary>
    public static void EnsureNoLinkOnTheWay(string workspace, string relative)
    {
        var segments = relative.Split('/');
        var current = workspace;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            current = Path.Combine(current, segments[i]);
            switch (KindOf(current))
            {
                case Kind.Folder:
                    continue;
                case Kind.Link:
                    throw new UnsafeLocalPathException(relative, string.Join('/', segments[..(i + 1)]));
                default:
                    return;
            }
        }
    }

    /// <summary>
    /// The workspace-relative path of what stands in the way of a regular file at <paramref name="relative"/>: a file,
    /// link or other non-folder among its parents, or a folder, link or other non-file at the path itself;
    /// <c>null</c> when nothing does.
    /// </summary>
    public static (string Path, Kind Kind)? TypeObstacle(string workspace, string relative)
    {
        var segments = relative.Split('/');
        var current = workspace;
        for (var i = 0; i < segments.Length; i++)
        {
            current = Path.Combine(current, segments[i]);
            var kind = KindOf(current);
            var last = i == segments.Length - 1;
            if (kind == Kind.None || (last && kind == Kind.File))
            {
                return null;
            }

            if (last || kind != Kind.Folder)
            {
                return (string.Join('/', segments[..(i + 1)]), kind);
            }
        }

        return null;
    }

    /// <summary>Every entry under a folder (relative to the workspace, links not entered): files, links, others; not folders.</summary>
    public static IEnumerable<string> NonFoldersUnder(string workspace, string relativeFolder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in new DirectoryInfo(Path.Combine(workspace, relativeFolder)).EnumerateFileSystemInfos("*", options))
        {
            if (entry is not DirectoryInfo || entry.LinkTarget is not null)
            {
                yield return Path.GetRelativePath(workspace, entry.FullName).Replace('\\', '/');
            }
        }
    }

    /// <summary>Removes a folder that holds nothing but empty folders (what a sync's own deletes left); throws otherwise.</summary>
    public static void RemoveEmptyTree(string full)
    {
        foreach (var sub in new DirectoryInfo(full).EnumerateDirectories())
        {
            if (sub.LinkTarget is not null)
            {
                throw new IOException($"'{full}' is not empty");
            }

            RemoveEmptyTree(sub.FullName);
        }

        Directory.Delete(full, recursive: false);
    }

    /// <summary>Moves a file, link or folder (links as links) to <paramref name="target"/>, across file systems too.</summary>
    public static void MoveAside(string source, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            if (KindOf(source) == Kind.Folder)
            {
                Directory.Move(source, target);
            }
            else
            {
                File.Move(source, target);
            }

            return;
        }
        catch (IOException) when (!Path.Exists(target))
        {
            // Another file system (the non-git state folder is in the user's home): copy, then delete.
        }

        CopyTree(source, target);
        if (KindOf(source) == Kind.Folder)
        {
            Directory.Delete(source, recursive: true);
        }
        else
        {
            File.Delete(source);
        }
    }

    private static void CopyTree(string source, string target)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } link)
        {
            File.CreateSymbolicLink(target, link);
        }
        else if (Directory.Exists(source))
        {
            Directory.CreateDirectory(target);
            foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
            {
                CopyTree(entry.FullName, Path.Combine(target, entry.Name));
            }
        }
        else
        {
            File.Copy(source, target);
        }
    }
}
