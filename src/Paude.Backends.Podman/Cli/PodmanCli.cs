using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Paude.Errors;

namespace Paude.Backends.Podman.Cli;

/// <summary>
/// <see cref="IPodmanClient"/> over the <c>podman</c> binary. Arguments go through <see cref="ProcessStartInfo.ArgumentList"/>
/// (no shell). A podman that is not installed fails at launch with a <see cref="BackendUnavailableException"/>; a podman
/// that is installed but broken is recognised when a command fails with podman's own exit code (125) before any command
/// succeeded: only then is <c>podman info</c> run, and its failure becomes the <see cref="BackendUnavailableException"/>.
/// </summary>
/// <remarks>
/// The check used to run <c>podman info</c> on every client's first call: ≈ 0.4 s of CPU (it queries dpkg for the
/// runtime's package) on every CLI invocation, more than the command itself. Working podman never pays it now.
/// </remarks>
internal sealed class PodmanCli(string podmanPath, string backendName) : IPodmanClient
{
    private const string InstallHint = "install it (Debian/Ubuntu: apt-get install podman runc conmon netavark aardvark-dns catatonit) or set PodmanPath";

    // podman's exit code for an error of podman itself (not of the command it ran).
    private const int PodmanErrorExitCode = 125;

    private readonly Lock _checkLock = new();
    private Task? _check;
    private volatile bool _works;

    public async Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
    {
        var result = await RunRawAsync(arguments, writeStdin, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _works = true;
        }
        else if (result.ExitCode == PodmanErrorExitCode && !_works)
        {
            // A failing check wins over the command's own (less clear) failure; a passing one leaves it to the caller.
            await EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public Task<PodmanProcess> StartAsync(IReadOnlyList<string> arguments, bool redirectStdin, CancellationToken cancellationToken)
    {
        // No check up front: a broken podman makes the process fail, and the caller's follow-up (reading the
        // session's state through RunAsync) then runs the check.
        cancellationToken.ThrowIfCancellationRequested();
        var process = Launch(arguments);
        if (!redirectStdin)
        {
            process.StandardInput.Close();
        }

        return Task.FromResult(new PodmanProcess(process, redirectStdin));
    }

    private Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        Task check;
        lock (_checkLock)
        {
            // One check at a time; a failed check is retried next time (podman may have been fixed meanwhile).
            if (_check is null || _check.IsFaulted || _check.IsCanceled)
            {
                _check = CheckAsync();
            }

            check = _check;
        }

        return check.IsCompletedSuccessfully ? Task.CompletedTask : check.WaitAsync(cancellationToken);
    }

    private async Task CheckAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var info = await RunRawAsync(["info", "--format", "json"], null, timeout.Token).ConfigureAwait(false);
        if (!info.Succeeded)
        {
            throw new BackendUnavailableException(backendName, "podman", $"podman is installed but not working: {Trim(info.StandardError)}");
        }

        _works = true;
    }

    private async Task<PodmanResult> RunRawAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
    {
        using var process = Launch(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            if (writeStdin is null)
            {
                process.StandardInput.Close();
            }
            else
            {
                var stdin = process.StandardInput.BaseStream;
                PipeBuffer.TryEnlarge(stdin);
                try
                {
                    await writeStdin(stdin, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (process.HasExited)
                {
                    // The process stopped reading (it failed); its exit code and stderr tell why.
                }
                finally
                {
                    try
                    {
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // Broken pipe on close: same as above.
                    }
                }
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return new PodmanResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        catch (Exception)
        {
            TryKill(process);
            throw;
        }
    }

    private Process Launch(IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(podmanPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };

        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(psi) ?? throw new BackendUnavailableException(backendName, "podman", $"'{podmanPath}' could not be started; {InstallHint}");
        }
        catch (Win32Exception ex)
        {
            throw new BackendUnavailableException(backendName, "podman", $"'{podmanPath}' was not found or is not executable ({ex.Message}); {InstallHint}", ex);
        }
    }

    private static void TryKill(Process process)
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
        }
    }

    internal static string Trim(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length > 2000 ? trimmed[..2000] + " ..." : trimmed;
    }
}
