using System.Security.Cryptography;

namespace Paude.TestSupport;

/// <summary>
/// A comparable description of a directory tree: every entry's relative path with its kind, permission bits,
/// content hash (files) or link target (symlinks). Two trees are equal when their snapshots are.
/// </summary>
#if PAUDE_SHARED_INTERNAL
internal
#else
public
#endif
static class TreeSnapshot
{
    /// <summary>Describes <paramref name="root"/>, one line per entry, in ordinal order.</summary>
    public static IReadOnlyList<string> Describe(string root)
    {
        var lines = new List<string>();
        Walk(new DirectoryInfo(root), string.Empty, lines);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static void Walk(DirectoryInfo dir, string prefix, List<string> lines)
    {
        foreach (var child in dir.EnumerateFileSystemInfos())
        {
            var relative = prefix + child.Name;
            if (child.LinkTarget is { } target)
            {
                lines.Add($"L {relative} -> {target}");
            }
            else if (child is DirectoryInfo sub)
            {
                lines.Add($"D {relative} {Mode(sub)}");
                Walk(sub, relative + "/", lines);
            }
            else if (child is FileInfo file)
            {
                using var stream = file.OpenRead();
                lines.Add($"F {relative} {Mode(file)} {Convert.ToHexStringLower(SHA256.HashData(stream))}");
            }
        }
    }

    private static string Mode(FileSystemInfo info) => Convert.ToString((int)info.UnixFileMode & 0x1FF, 8);
}
