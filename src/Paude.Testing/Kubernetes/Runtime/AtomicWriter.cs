using System.Diagnostics;
using System.Globalization;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>One projected file of a Secret/ConfigMap volume: path relative to the volume, content, mode.</summary>
internal sealed record ProjectedFile(string Path, byte[] Data, int Mode);

/// <summary>
/// The kubelet's atomic writer for Secret/ConfigMap volumes. The files live in a timestamped directory
/// <c>..&lt;time&gt;.&lt;n&gt;</c>; <c>..data</c> is a symlink to it and every top-level name is a symlink through
/// <c>..data</c>. An update writes a new timestamped directory, then swaps <c>..data</c> with one rename(2), so a
/// reader in the container sees either the old or the new set of files, never a half-written one.
/// </summary>
internal static class AtomicWriter
{
    private const string DataLink = "..data";

    /// <summary>Writes the payload unless the volume already holds exactly it (content and modes); true when it wrote.</summary>
    public static bool Write(string dir, IReadOnlyList<ProjectedFile> payload, long? fsGroup, TimeProvider time)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Pods run as Podman containers on Linux.");
        }

        if (Matches(dir, payload, fsGroup))
        {
            return false;
        }

        var stamp = ".." + time.GetUtcNow().ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..9];
        var target = Directory.CreateDirectory(Path.Combine(dir, stamp));
        target.UnixFileMode = (UnixFileMode)Convert.ToInt32("755", 8);
        foreach (var file in payload)
        {
            var full = Path.Combine(target.FullName, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, file.Data);
            File.SetUnixFileMode(full, (UnixFileMode)Mode(file.Mode, fsGroup));
            if (fsGroup is { } g)
            {
                Run("chgrp", g.ToString(CultureInfo.InvariantCulture), full);
            }
        }

        // rename(2) of a fresh symlink over ..data is the atomic step (mv -T renames, never copies).
        var temp = Path.Combine(dir, "..data_tmp");
        File.Delete(temp);
        File.CreateSymbolicLink(temp, stamp);
        Run("mv", "-T", temp, Path.Combine(dir, DataLink));

        var names = payload.Select(f => f.Path.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in names.Where(n => !Path.Exists(Path.Combine(dir, n))))
        {
            File.CreateSymbolicLink(Path.Combine(dir, name), Path.Combine(DataLink, name));
        }

        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith("..", StringComparison.Ordinal) ? entry.Name != DataLink && entry.Name != stamp : !names.Contains(entry.Name))
            {
                if (entry is DirectoryInfo d && d.LinkTarget is null)
                {
                    d.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }

        return true;
    }

    /// <summary>kubelet's volume ownership for fsGroup: group-readable (mode | 0440).</summary>
    private static int Mode(int mode, long? fsGroup) => fsGroup is null ? mode : mode | 0x120;

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool Matches(string dir, IReadOnlyList<ProjectedFile> payload, long? fsGroup)
    {
        var data = Path.Combine(dir, DataLink);
        if (new FileInfo(data).LinkTarget is null)
        {
            return false;
        }

        var present = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Count();
        return present == payload.Count && payload.All(f =>
        {
            var full = Path.Combine(data, f.Path);
            return File.Exists(full) && (int)File.GetUnixFileMode(full) == Mode(f.Mode, fsGroup) && File.ReadAllBytes(full).AsSpan().SequenceEqual(f.Data);
        });
    }

    private static void Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new IOException($"{tool} failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}
