using Paude.Errors;
using Paude.Execution;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="SafeTarExtractor"/> on an archive from a session. Promises: only <see cref="UnsafeContentException"/>;
/// nothing outside the target folder changes (a sibling "outside" folder and file stay as they were, no staging
/// leftovers); on success every link inside the target resolves inside it and the target holds only files, folders
/// and links.
/// </summary>
public sealed class TarTarget : IFuzzTarget
{
    private static readonly SafeTarOptions Limits = new() { MaxEntryBytes = 1024 * 1024, MaxTotalBytes = 4 * 1024 * 1024, MaxEntries = 2000 };

    public string Name => "tar";

    public void Run(byte[] input)
    {
        var root = Path.Combine(Path.GetTempPath(), "paude-fuzz-tar-" + Guid.NewGuid().ToString("N"));
        var target = Path.Combine(root, "target");
        var outside = Path.Combine(root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep"), "keep");
        File.WriteAllText(Path.Combine(root, "keep"), "keep");
        try
        {
            var ok = true;
            try
            {
                using var archive = new MemoryStream(input, writable: false);
                SafeTarExtractor.ExtractAsync(archive, target, Limits).GetAwaiter().GetResult();
            }
            catch (UnsafeContentException)
            {
                ok = false;
            }

            var siblings = Directory.GetFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
            var expected = ok ? new[] { "keep", "outside", "target" } : ["keep", "outside"];
            InvariantViolationException.Check(siblings.SequenceEqual(expected), $"tar: the target's parent holds [{string.Join(", ", siblings)}], expected [{string.Join(", ", expected)}]");
            InvariantViolationException.Check(
                Directory.GetFileSystemEntries(outside).Length == 1 && File.ReadAllText(Path.Combine(outside, "keep")) == "keep" && File.ReadAllText(Path.Combine(root, "keep")) == "keep",
                "tar: content outside the target folder changed");
            if (ok)
            {
                CheckInside(target);
            }
        }
        finally
        {
            Cleanup(root);
        }
    }

    private static void CheckInside(string target)
    {
        var prefix = target + Path.DirectorySeparatorChar;
        foreach (var entry in Walk(new DirectoryInfo(target)))
        {
            InvariantViolationException.Check(entry.FullName.StartsWith(prefix, StringComparison.Ordinal), $"tar: '{entry.FullName}' is outside the target");
            if (entry.LinkTarget is { } link)
            {
                var resolved = Path.GetFullPath(link, Path.GetDirectoryName(entry.FullName)!);
                InvariantViolationException.Check(resolved == target || resolved.StartsWith(prefix, StringComparison.Ordinal), $"tar: link '{entry.FullName}' -> '{link}' points outside the target");
            }
            else
            {
                InvariantViolationException.Check(entry is FileInfo or DirectoryInfo && (entry.Attributes & (FileAttributes.Device | FileAttributes.System)) == 0, $"tar: '{entry.FullName}' is a special file");
            }
        }
    }

    /// <summary>
    /// Every entry under <paramref name="folder"/>, descending only into real folders. The framework's recursive
    /// enumeration follows links to folders, so a link loop the extractor rightly accepts (d/up -> ../d) made the
    /// check itself fail with ELOOP (found by afl, Regressions/tar/link-loop).
    /// </summary>
    private static IEnumerable<FileSystemInfo> Walk(DirectoryInfo folder)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            yield return entry;
            if (entry is DirectoryInfo { LinkTarget: null } child)
            {
                foreach (var inner in Walk(child))
                {
                    yield return inner;
                }
            }
        }
    }

    private static void Cleanup(string root)
    {
        // Folders extracted without owner write/exec bits cannot be emptied; the extractor keeps them owner-usable,
        // but make sure a failed promise does not also leave litter behind.
        foreach (var dir in Walk(new DirectoryInfo(root)).OfType<DirectoryInfo>().Where(d => d.LinkTarget is null))
        {
            try
            {
                File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        Directory.Delete(root, recursive: true);
    }
}
