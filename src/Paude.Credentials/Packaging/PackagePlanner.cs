using Microsoft.Extensions.Logging;

namespace Paude.Credentials.Packaging;

/// <summary>
/// Turns the items of the requested sources into the ordered entry list of the archive, from host metadata
/// only. Every link decision happens here, so a refused link fails the package before a single byte is written.
/// Links whose real target stays inside the item's tree are kept (as relative links); links leading elsewhere
/// are copied only from <see cref="CredentialOptions.AllowedLinkRoots"/>, otherwise refused or skipped.
/// </summary>
internal sealed class PackagePlanner(CredentialOptions options, ILogger logger)
{
    internal const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0x1ED; // 0755
    private const int MaxDepth = 64;

    private readonly Dictionary<string, PlannedEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _refused = [];
    private readonly string[] _allowedRoots = [.. options.AllowedLinkRoots.Select(RealPath.Resolve)];

    public void Add(string source, CredentialItem item)
    {
        var path = CheckPackagePath(item.PackagePath);
        AddParents(source, path);
        if (item.Content is { } content)
        {
            Put(new PlannedEntry(path, CredentialEntryKind.File, item.Mode & PermissionBits, item.Secret, source, Content: content));
        }
        else if (item.HostPath is { } host && Directory.Exists(host))
        {
            // The tree root itself is named by the source (e.g. a dotfiles-managed ~/.claude link): walk its real folder.
            var root = RealPath.Resolve(host);
            var tree = new Tree(source, root, path, item.Exclude.Select(e => e.Trim('/')).ToHashSet(StringComparer.Ordinal));
            Put(new PlannedEntry(path, CredentialEntryKind.Directory, new DirectoryInfo(root).UnixFileMode & PermissionBits, false, source));
            Walk(tree, root, string.Empty, 0);
        }
        else if (item.HostPath is { } file && File.Exists(file))
        {
            // An explicitly named file is the user's own configuration: it is read even through a link.
            var real = RealPath.Resolve(file);
            Put(new PlannedEntry(path, CredentialEntryKind.File, new FileInfo(real).UnixFileMode & PermissionBits, item.Secret, source, HostPath: real));
        }
    }

    /// <summary>The entries in archive order (ordinal by path, so parents come before children).</summary>
    public IReadOnlyList<PlannedEntry> Complete()
    {
        if (_refused.Count > 0)
        {
            throw new CredentialLinkRefusedException([.. _refused]);
        }

        return [.. _entries.Values.OrderBy(e => e.Path, StringComparer.Ordinal)];
    }

    private void Walk(Tree tree, string hostDirectory, string relative, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new CredentialPackagingException($"The folder '{hostDirectory}' is nested too deeply (more than {MaxDepth} levels, a link cycle?).");
        }

        foreach (var child in new DirectoryInfo(hostDirectory).EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var rel = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
            if (tree.IsExcluded(rel))
            {
                continue;
            }

            var path = CheckPackagePath(tree.Prefix + "/" + rel);
            if (child.LinkTarget is { } literal)
            {
                AddLink(tree, child, literal, path, rel, depth);
            }
            else if (child is DirectoryInfo dir)
            {
                Put(new PlannedEntry(path, CredentialEntryKind.Directory, dir.UnixFileMode & PermissionBits, false, tree.Source));
                Walk(tree, dir.FullName, rel, depth + 1);
            }
            else if (IsRegularFile(child))
            {
                Put(new PlannedEntry(path, CredentialEntryKind.File, child.UnixFileMode & PermissionBits, false, tree.Source, HostPath: child.FullName));
            }
            else
            {
                Log.SpecialFileSkipped(logger, child.FullName);
            }
        }
    }

    private void AddLink(Tree tree, FileSystemInfo link, string literal, string path, string rel, int depth)
    {
        var target = RealPath.Resolve(Path.GetFullPath(literal, Path.GetDirectoryName(link.FullName)!));
        if (RealPath.IsUnder(target, tree.Root) && !tree.IsExcluded(Path.GetRelativePath(tree.Root, target)))
        {
            // Kept as a link, rewritten relative so it resolves the same way under the container's folder.
            var targetPath = tree.Prefix + (target == tree.Root ? string.Empty : "/" + Path.GetRelativePath(tree.Root, target));
            var relativeTarget = Path.GetRelativePath("/" + Path.GetDirectoryName(path), "/" + targetPath);
            Put(new PlannedEntry(path, CredentialEntryKind.Symlink, PermissionBits, false, tree.Source, LinkTarget: relativeTarget));
            return;
        }

        var allowed = _allowedRoots.Any(root => RealPath.IsUnder(target, root));
        if (allowed && Directory.Exists(target))
        {
            Put(new PlannedEntry(path, CredentialEntryKind.Directory, new DirectoryInfo(target).UnixFileMode & PermissionBits, false, tree.Source));
            Walk(tree, target, rel, depth + 1);
        }
        else if (allowed && File.Exists(target))
        {
            Put(new PlannedEntry(path, CredentialEntryKind.File, new FileInfo(target).UnixFileMode & PermissionBits, false, tree.Source, HostPath: target));
        }
        else if (options.OutsideLinks == OutsideLinkPolicy.Skip)
        {
            Log.OutsideLinkSkipped(logger, link.FullName, literal);
        }
        else
        {
            _refused.Add($"'{link.FullName}' -> '{literal}'");
        }
    }

    private void AddParents(string source, string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            var parent = path[..slash];
            _entries.TryAdd(parent, new PlannedEntry(parent, CredentialEntryKind.Directory, DefaultDirectoryMode, false, source));
        }
    }

    private void Put(PlannedEntry entry)
    {
        if (_entries.TryGetValue(entry.Path, out var existing) && !(existing.Kind == CredentialEntryKind.Directory && entry.Kind == CredentialEntryKind.Directory))
        {
            throw new CredentialPackagingException($"Two credential items claim the package path '{entry.Path}' (sources '{existing.Source}' and '{entry.Source}').");
        }

        _entries[entry.Path] = entry;
    }

    private static string CheckPackagePath(string path)
    {
        // Names end up in line-based manifests read by a bash script: control characters and backslashes would
        // make those ambiguous, so such names are refused rather than mangled.
        if (path.Length == 0 || path.StartsWith('/') || path.Split('/').Any(p => p is "" or "." or "..")
            || path.Any(c => char.IsControl(c) || c == '\\') || path.StartsWith(".paude-manifest", StringComparison.Ordinal))
        {
            throw new CredentialPackagingException($"The name '{path.ReplaceLineEndings("?")}' cannot be packaged (control characters, backslashes, '..' and reserved names are not allowed).");
        }

        return path;
    }

    private static bool IsRegularFile(FileSystemInfo info) =>
        info is FileInfo && (info.Attributes & (FileAttributes.Device | FileAttributes.System)) == 0;

    private sealed record Tree(string Source, string Root, string Prefix, HashSet<string> Excludes)
    {
        public bool IsExcluded(string relative)
        {
            for (var slash = relative.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = relative.IndexOf('/', slash + 1))
            {
                if (Excludes.Contains(relative[..slash]))
                {
                    return true;
                }
            }

            return Excludes.Contains(relative);
        }
    }
}
