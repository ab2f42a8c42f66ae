namespace Paude.Sync.Files;

/// <summary>Whether the local file system compares names ignoring case (macOS and Windows by default; Linux not).</summary>
internal static class FileSystemCase
{
    /// <summary>
    /// Looks at the workspace folder itself under its own name in another case: found means the file system ignores
    /// case. Nothing is written. A name without letters cannot tell; then the platform's default is taken.
    /// </summary>
    public static bool IgnoresCase(string workspace)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        var name = Path.GetFileName(full);
        var flipped = new string([.. name.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))]);
        if (flipped == name || Path.GetDirectoryName(full) is not { } parent)
        {
            return OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();
        }

        return Directory.Exists(Path.Combine(parent, flipped));
    }
}
