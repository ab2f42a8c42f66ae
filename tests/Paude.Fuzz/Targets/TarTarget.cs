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
        foreach (var entry in new DirectoryInfo(target).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
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

    private static void Cleanup(string root)
    {
        // Folders extracted without owner write/exec bits cannot be emptied; the extractor keeps them owner-usable,
        // but make sure a failed promise does not also leave litter behind.
        foreach (var dir in Directory.EnumerateDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            try
            {
                if (new DirectoryInfo(dir).LinkTarget is null)
                {
                    File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
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
