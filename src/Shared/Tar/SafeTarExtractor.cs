using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Paude.Errors;

namespace Paude.Execution;

/// <summary>
/// Extracts an untrusted tar stream (content that came back from a session) into a local directory.
/// </summary>
/// <remarks>
/// Everything is refused with <see cref="UnsafeContentException"/> naming the entry: absolute names, <c>..</c>
/// segments, entries written through a symlink, symlinks or hardlinks that resolve outside the root (also via
/// chains of earlier links), devices/FIFOs/other special entries, files over the size limit and totals over the
/// budget. The archive is extracted into a staging directory beside the target and moved into place only when
/// the whole archive was valid, so the target is never half-written: on success the target's content is
/// exactly the archive's content (an existing target is replaced). Permission bits are kept (exec bits),
/// setuid/setgid/sticky are dropped, and directories stay owner-writable so the copy can be managed.
/// </remarks>
internal static class SafeTarExtractor
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // 0777
    private const UnixFileMode OwnerAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const int MaxLinkHops = 40;

    // NAME_MAX of Linux and macOS: a longer name would fail as an untyped IOException.
    private const int MaxNameBytes = 255;

    /// <summary>Extracts <paramref name="archive"/> into <paramref name="targetDirectory"/>, replacing its content.</summary>
    /// <returns>The top-most relative paths left out as git metadata (empty unless
    /// <see cref="SafeTarOptions.LeaveOutGitMetadata"/> is set).</returns>
    public static async Task<IReadOnlyList<string>> ExtractAsync(Stream archive, string targetDirectory, SafeTarOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        options ??= SafeTarOptions.Default;
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("The target cannot be a file-system root.", nameof(targetDirectory));
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.paude-staging-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        Directory.CreateDirectory(staging);
        try
        {
            var state = new Extraction(staging, options);
            await state.ReadAllAsync(archive, cancellationToken).ConfigureAwait(false);
            state.VerifyLinks();
            state.ApplyDirectoryModes();
            var leftOut = options.LeaveOutGitMetadata ? GitMetadata.Remove(staging) : [];
            MoveIntoPlace(staging, target);
            return leftOut;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    private static void MoveIntoPlace(string staging, string target)
    {
        if (!Path.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        if (!Directory.Exists(target))
        {
            throw new IOException($"'{target}' exists and is not a directory.");
        }

        // Swap by renames so the target is either the old or the new content, never a mix.
        var old = staging.Replace(".paude-staging-", ".paude-old-", StringComparison.Ordinal);
        Directory.Move(target, old);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }

        TryDelete(old);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                // Directory.Delete does not follow symlinks, so links inside cannot make it delete outside content.
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover staging folder is hidden and harmless; the original error matters more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class Extraction(string root, SafeTarOptions options)
    {
        private readonly List<(string Path, UnixFileMode Mode)> _directories = [];
        private readonly List<string> _links = [];

        // Directories this extraction created or verified as real (not links). Only this code writes into the
        // staging folder and it never turns a directory into anything else, so the answer cannot go stale.
        private readonly HashSet<string> _knownDirectories = new(StringComparer.Ordinal) { string.Empty };
        private long _total;
        private int _entries;

        public async Task ReadAllAsync(Stream archive, CancellationToken ct)
        {
            // The guard refuses oversized extended headers before the reader allocates what they claim (issue 17).
            var reader = new TarReader(new TarFramingGuard(archive), leaveOpen: true);
            await using (reader.ConfigureAwait(false))
            {
                while (true)
                {
                    TarEntry? entry;
                    try
                    {
                        entry = await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false);
                    }
                    // Whatever the framework's reader throws for the bytes it parses is an invalid archive: the bytes come
                    // from the session. Fuzzing found OverflowException (a base-256 number too large for its type) and
                    // NotSupportedException (a GNU sparse entry) besides the documented ones. Only a failing stream
                    // (IOException other than a short read), the SDK's own typed errors (the framing guard, a stalled
                    // session) and cancellation keep their own meaning.
                    catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException and not PaudeException && (ex is not IOException || ex is EndOfStreamException))
                    {
                        throw new UnsafeContentException("<archive>", $"is not a valid tar archive ({ex.Message})");
                    }

                    if (entry is null)
                    {
                        return;
                    }

                    if (++_entries > options.MaxEntries)
                    {
                        throw new UnsafeContentException(entry.Name, $"exceeds the limit of {options.MaxEntries} entries");
                    }

                    try
                    {
                        await ExtractEntryAsync(entry, ct).ConfigureAwait(false);
                    }
                    catch (PathTooLongException)
                    {
                        // Short segments, but together longer than the file system takes under the target folder.
                        throw new UnsafeContentException(entry.Name, "is a path longer than the file system allows");
                    }
                }
            }
        }

        private async Task ExtractEntryAsync(TarEntry entry, CancellationToken ct)
        {
            switch (entry.EntryType)
            {
                case TarEntryType.GlobalExtendedAttributes:
                    return;
                case TarEntryType.Directory:
                    ExtractDirectory(entry);
                    return;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    await ExtractFileAsync(entry, ct).ConfigureAwait(false);
                    return;
                case TarEntryType.SymbolicLink:
                    ExtractSymlink(entry);
                    return;
                case TarEntryType.HardLink:
                    await ExtractHardLinkAsync(entry, ct).ConfigureAwait(false);
                    return;
                default:
                    throw new UnsafeContentException(entry.Name, $"is a {entry.EntryType} entry; only files, directories and links are accepted");
            }
        }

        private void ExtractDirectory(TarEntry entry)
        {
            var relative = Normalize(entry.Name);
            if (relative.Length == 0)
            {
                return; // The "./" entry of the root itself.
            }

            var path = PrepareParents(entry.Name, relative);
            if (IsLink(path) || File.Exists(path))
            {
                File.Delete(path); // A later entry replaces an earlier one, as tar does; deleting a link never touches its target.
            }

            Directory.CreateDirectory(path);
            _knownDirectories.Add(relative);
            _directories.Add((path, (entry.Mode & PermissionBits) | OwnerAll));
        }

        private async Task ExtractFileAsync(TarEntry entry, CancellationToken ct)
        {
            var relative = RequireName(entry);
            if (entry.Length < 0 || entry.Length > options.MaxEntryBytes)
            {
                throw new UnsafeContentException(entry.Name, $"is {entry.Length} bytes; the limit is {options.MaxEntryBytes}");
            }

            AddToBudget(entry.Name, entry.Length);
            var path = PrepareReplaceable(entry.Name, relative);
            var output = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, BufferSize = 0 });
            await using (output.ConfigureAwait(false))
            {
                if (entry.DataStream is { } data)
                {
                    await data.CopyToAsync(output, 81920, ct).ConfigureAwait(false);
                }
            }

            SetMode(path, entry.Mode & PermissionBits);
        }

        private void ExtractSymlink(TarEntry entry)
        {
            var relative = RequireName(entry);
            var target = entry.LinkName;
            if (string.IsNullOrEmpty(target) || target.Contains('\0', StringComparison.Ordinal))
            {
                throw new UnsafeContentException(entry.Name, "is a symlink without a valid target");
            }

            if (target.StartsWith('/'))
            {
                throw new UnsafeContentException(entry.Name, $"is a symlink to the absolute path '{target}'");
            }

            // Lexical check now (fails fast); the full check through link chains runs once everything is written.
            var depth = relative.Count(c => c == '/');
            foreach (var segment in target.Split('/'))
            {
                depth += segment switch { "" or "." => 0, ".." => -1, _ => 1 };
                if (depth < 0)
                {
                    throw new UnsafeContentException(entry.Name, $"is a symlink to '{target}', outside the target folder");
                }
            }

            var path = PrepareReplaceable(entry.Name, relative);
            File.CreateSymbolicLink(path, target);
            _links.Add(relative);
        }

        private async Task ExtractHardLinkAsync(TarEntry entry, CancellationToken ct)
        {
            var relative = RequireName(entry);
            string source;
            try
            {
                source = Normalize(entry.LinkName);
            }
            catch (UnsafeContentException)
            {
                throw new UnsafeContentException(entry.Name, $"is a hardlink to '{entry.LinkName}', outside the target folder");
            }

            var sourcePath = Path.Combine(root, source);
            if (source.Length == 0 || HasLinkOnPath(source, includeLast: true) || !File.Exists(sourcePath))
            {
                throw new UnsafeContentException(entry.Name, $"is a hardlink to '{entry.LinkName}', which is not a file extracted earlier");
            }

            // Copied, not linked: the copy cannot alias anything the archive does not own.
            var length = new FileInfo(sourcePath).Length;
            AddToBudget(entry.Name, length);
            var path = PrepareReplaceable(entry.Name, relative);
            var input = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous);
            await using (input.ConfigureAwait(false))
            {
                var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                await using (output.ConfigureAwait(false))
                {
                    await input.CopyToAsync(output, 81920, ct).ConfigureAwait(false);
                }
            }

            SetMode(path, OperatingSystem.IsWindows() ? PermissionBits : File.GetUnixFileMode(sourcePath));
        }

        /// <summary>Checks every symlink through the links it passes, as the kernel would resolve it.</summary>
        public void VerifyLinks()
        {
            foreach (var link in _links)
            {
                if (!StaysInside(link))
                {
                    throw new UnsafeContentException(link, "is a symlink that resolves outside the target folder");
                }
            }
        }

        public void ApplyDirectoryModes()
        {
            // Deepest first, so taking a permission away from a parent cannot block its children.
            foreach (var (path, mode) in _directories.OrderByDescending(d => d.Path.Length))
            {
                if (Directory.Exists(path) && !IsLink(path))
                {
                    SetMode(path, mode);
                }
            }
        }

        private bool StaysInside(string relative)
        {
            var pending = new Stack<string>(relative.Split('/').Reverse());
            var current = new List<string>();
            var hops = 0;
            while (pending.Count > 0)
            {
                var segment = pending.Pop();
                if (segment is "" or ".")
                {
                    continue;
                }

                if (segment == "..")
                {
                    if (current.Count == 0)
                    {
                        return false;
                    }

                    current.RemoveAt(current.Count - 1);
                    continue;
                }

                current.Add(segment);
                var candidate = Path.Combine(root, string.Join('/', current));
                var target = IsLink(candidate) ? LinkTargetOf(candidate) : null;
                if (target is not null)
                {
                    if (++hops > MaxLinkHops || target.StartsWith('/'))
                    {
                        return false;
                    }

                    current.RemoveAt(current.Count - 1);
                    foreach (var part in target.Split('/').Reverse())
                    {
                        pending.Push(part);
                    }
                }
            }

            return true;
        }

        private void AddToBudget(string entry, long bytes)
        {
            _total += bytes;
            if (_total > options.MaxTotalBytes)
            {
                throw new UnsafeContentException(entry, $"takes the archive over its budget of {options.MaxTotalBytes} bytes");
            }
        }

        private static string RequireName(TarEntry entry)
        {
            var relative = Normalize(entry.Name);
            return relative.Length == 0 ? throw new UnsafeContentException(entry.Name, "has an empty name") : relative;
        }

        /// <summary>Creates missing parents and removes a non-directory at the entry's own path.</summary>
        private string PrepareReplaceable(string name, string relative)
        {
            var path = PrepareParents(name, relative);
            if (IsLink(path) || File.Exists(path))
            {
                File.Delete(path);
            }
            else if (Directory.Exists(path))
            {
                throw new UnsafeContentException(name, "would replace a directory extracted earlier");
            }

            return path;
        }

        private string PrepareParents(string name, string relative)
        {
            var path = Path.Combine(root, relative);
            var slash = relative.LastIndexOf('/');
            var parentRelative = slash < 0 ? string.Empty : relative[..slash];
            if (_knownDirectories.Contains(parentRelative))
            {
                return path;
            }

            if (HasLinkOnPath(relative, includeLast: false))
            {
                throw new UnsafeContentException(name, "would be written through a symlink");
            }

            var parent = Path.GetDirectoryName(path)!;
            if (File.Exists(parent))
            {
                throw new UnsafeContentException(name, "has a parent that is a file");
            }

            Directory.CreateDirectory(parent);
            for (var i = parentRelative.Length; i > 0; i = parentRelative.LastIndexOf('/', i - 1))
            {
                if (!_knownDirectories.Add(parentRelative[..i]))
                {
                    break;
                }
            }

            return path;
        }

        private bool HasLinkOnPath(string relative, bool includeLast)
        {
            var segments = relative.Split('/');
            var count = includeLast ? segments.Length : segments.Length - 1;
            var path = root;
            for (var i = 0; i < count; i++)
            {
                path = Path.Combine(path, segments[i]);
                if (IsLink(path))
                {
                    return true;
                }

                if (!Path.Exists(path))
                {
                    return false;
                }
            }

            return false;
        }

        private static void SetMode(string path, UnixFileMode mode)
        {
            // Windows has no Unix modes; the SDK runs on Linux/macOS hosts, this only keeps the analyzer honest.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }
        }

        private static bool IsLink(string path)
        {
            // lstat-based and exception-free: -1 means "does not exist"; ReparsePoint marks a symlink on Unix.
            var attributes = new FileInfo(path).Attributes;
            return (int)attributes != -1 && (attributes & FileAttributes.ReparsePoint) != 0;
        }

        private static string? LinkTargetOf(string path)
        {
            try
            {
                return new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                return null; // Missing paths are not links.
            }
        }

        private static string Normalize(string name)
        {
            if (name.Contains('\0', StringComparison.Ordinal))
            {
                throw new UnsafeContentException(name, "has a NUL character in its name");
            }

            if (name.StartsWith('/'))
            {
                throw new UnsafeContentException(name, "is an absolute path");
            }

            var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
            if (segments.Contains(".."))
            {
                throw new UnsafeContentException(name, "has a '..' segment");
            }

            if (segments.Any(s => Encoding.UTF8.GetByteCount(s) > MaxNameBytes))
            {
                throw new UnsafeContentException(name, $"has a name longer than {MaxNameBytes} bytes");
            }

            return string.Join('/', segments);
        }
    }
}
