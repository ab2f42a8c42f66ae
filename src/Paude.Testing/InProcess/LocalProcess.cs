using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Paude.Execution;

namespace Paude.Testing.InProcess;

/// <summary>
/// A real local process standing for a process in the session. Its stdin is always a pipe (closed at once when the
/// spec does not redirect it), so it never reads the test runner's own stdin. Disposing kills its whole tree.
/// </summary>
internal sealed class LocalProcess : ISessionProcess
{
    private readonly Process _process;
    private readonly Action<LocalProcess> _onDispose;
    private int _disposed;
    private int _killed;

    private LocalProcess(Process process, bool redirectStdin, Action<LocalProcess> onDispose)
    {
        _process = process;
        _onDispose = onDispose;
        StandardInput = redirectStdin ? process.StandardInput.BaseStream : Stream.Null;
        if (!redirectStdin)
        {
            process.StandardInput.Close();
        }
    }

    public Stream StandardInput { get; }

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public Stream StandardError => _process.StandardError.BaseStream;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <paramref name="command"/>; a program that cannot be started (not found, not executable, working folder
    /// missing) gives a process that has exited 127 with the reason on stderr, as a shell or <c>podman exec</c> would.
    /// </summary>
    public static ISessionProcess Start(IReadOnlyList<string> command, string workingDirectory, IReadOnlyDictionary<string, string> environment, bool redirectStdin, Action<LocalProcess> onDispose)
    {
        var info = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        // The session's environment only (PATH from the host so programs are found): nothing of the test runner's
        // own variables (GIT_DIR, DOTNET_*, secrets in CI) reaches the session.
        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        if (!Directory.Exists(workingDirectory))
        {
            return new NotStarted($"{command[0]}: the working directory '{workingDirectory}' does not exist\n");
        }

        try
        {
            var process = Process.Start(info) ?? throw new Win32Exception("the process did not start");
            return new LocalProcess(process, redirectStdin, onDispose);
        }
        catch (Win32Exception e)
        {
            return new NotStarted($"{command[0]}: {e.Message}\n");
        }
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the process and everything it started, if still running (and not killed already).</summary>
    public void Kill()
    {
        if (TakeForKill() is { } process)
        {
            ProcessTreeKiller.Kill([process]);
        }
    }

    /// <summary>
    /// Kills the trees of several processes together (<see cref="ProcessTreeKiller"/>: one read of the process table
    /// for all, not one per process).
    /// </summary>
    public static void KillAll(IEnumerable<LocalProcess> processes) =>
        ProcessTreeKiller.Kill([.. processes.Select(p => p.TakeForKill()).OfType<Process>()]);

    /// <summary>
    /// The process to kill, once: a tree killed already is dead (a later <see cref="Kill"/>, e.g. on disposal, would
    /// only read the process table again for nothing).
    /// </summary>
    private Process? TakeForKill() => Interlocked.Exchange(ref _killed, 1) == 0 ? _process : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A process that ignores SIGKILL (uninterruptible sleep) is left to the kernel.
        }

        _onDispose(this);
        _process.Dispose();
    }

    /// <summary>A program that could not be started: exit code 127 and the reason on stderr.</summary>
    private sealed class NotStarted(string reason) : ISessionProcess
    {
        public Stream StandardInput => Stream.Null;

        public Stream StandardOutput { get; } = new MemoryStream([], writable: false);

        public Stream StandardError { get; } = new MemoryStream(Encoding.UTF8.GetBytes(reason), writable: false);

        public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => Task.FromResult(127);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
