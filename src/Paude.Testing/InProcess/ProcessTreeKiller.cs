using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Paude.Testing.InProcess;

/// <summary>
/// Kills several process trees together with as few reads of the machine's process table as it takes.
/// <c>Process.Kill(entireProcessTree: true)</c> lists every process of the machine (a <c>/proc/&lt;pid&gt;/stat</c>
/// read each) once per process of the tree, for each tree: a stop of a session with a few processes took seconds
/// under load. Here (Linux) the roots are stopped (SIGSTOP: a stopped process starts nothing more), the table is read
/// once and every descendant of a stopped process is stopped too; the table is read again only when the last read
/// found someone new (one of them may have started a child just before it was stopped), then all are killed (SIGKILL).
/// Roots without children cost one read in all. Elsewhere (no <c>/proc</c>) each tree is killed the .NET way.
/// </summary>
internal static class ProcessTreeKiller
{
    private const int SigKill = 9;

    private const int SigStop = 19; // Linux

    /// <summary>Kills every process of <paramref name="roots"/> and everything they started; exited ones are skipped.</summary>
    public static void Kill(IReadOnlyCollection<Process> roots)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self"))
        {
            foreach (var root in roots)
            {
                KillTheDotNetWay(root);
            }

            return;
        }

        var stopped = new HashSet<int>();
        var next = roots.Select(PidIfRunning).OfType<int>().ToList();
        while (next.Count > 0)
        {
            foreach (var pid in next)
            {
                _ = kill(pid, SigStop);
                stopped.Add(pid);
            }

            var children = ReadChildren();
            next = Descendants(stopped, children).Where(pid => !stopped.Contains(pid)).ToList();
        }

        foreach (var pid in stopped)
        {
            // A process that exited meanwhile is no error (ESRCH); a stopped one dies of SIGKILL as well.
            _ = kill(pid, SigKill);
        }
    }

    private static int? PidIfRunning(Process process)
    {
        try
        {
            return process.HasExited ? null : process.Id;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void KillTheDotNetWay(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }
    }

    /// <summary>Every process below <paramref name="roots"/> in the parent → children map.</summary>
    private static IEnumerable<int> Descendants(IEnumerable<int> roots, Dictionary<int, List<int>> children)
    {
        var seen = new HashSet<int>(roots);
        var queue = new Queue<int>(seen);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                if (seen.Add(child))
                {
                    queue.Enqueue(child);
                    yield return child;
                }
            }
        }
    }

    /// <summary>One read of the process table: parent pid → its children.</summary>
    private static Dictionary<int, List<int>> ReadChildren()
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ParentOf(dir) is not { } parent)
            {
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        return children;
    }

    /// <summary>The parent pid from <c>/proc/&lt;pid&gt;/stat</c> ("pid (comm) state ppid ..."; comm may hold anything).</summary>
    private static int? ParentOf(string dir)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(dir, "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // Gone since the listing.
        }

        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }

#pragma warning disable CA1401, SYSLIB1054, IDE1006 // A plain libc import of blittable ints (LibraryImport would need unsafe code).
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int kill(int pid, int sig);
#pragma warning restore CA1401, SYSLIB1054, IDE1006
}
