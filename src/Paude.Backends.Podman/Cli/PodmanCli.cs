using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Paude.Errors;

namespace Paude.Backends.Podman.Cli;

/// <summary>
/// <see cref="IPodmanClient"/> over the <c>podman</c> binary. Arguments go through <see cref="ProcessStartInfo.ArgumentList"/>
/// (no shell). The first call checks once that podman is installed and working (<c>podman info</c>), so a missing
/// prerequisite surfaces as a <see cref="BackendUnavailableException"/> instead of an obscure failure later.
/// </summary>
internal sealed class PodmanCli(string podmanPath, string backendName) : IPodmanClient
{
    private const string InstallHint = "install it (Debian/Ubuntu: apt-get install podman runc conmon netavark aardvark-dns catatonit) or set PodmanPath";
    private readonly Lock _checkLock = new();
    private Task? _check;

    public async Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
    {
        // The availability check ('podman info' is slow under load) runs alongside the first command instead of
        // before it; a failing check still wins over the command's own (less clear) failure.
        var check = EnsureAvailableAsync(cancellationToken);
        PodmanResult result;
        try
        {
            result = await RunRawAsync(arguments, writeStdin, cancellationToken).ConfigureAwait(false);
        }
        catch (BackendUnavailableException)
        {
            await check.ConfigureAwait(false);
            throw;
        }

        await check.ConfigureAwait(false);
        return result;
    }

    public async Task<PodmanProcess> StartAsync(IReadOnlyList<string> arguments, bool redirectStdin, CancellationToken cancellationToken)
    {
        await EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        var process = Launch(arguments, redirect: true);
        if (!redirectStdin)
        {
            process.StandardInput.Close();
        }

        return new PodmanProcess(process, redirectStdin);
    }

    public async Task<int> RunInteractiveAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        await EnsureAvailableAsync(cancellationToken).ConfigureAwait(false);
        using var process = Launch(arguments, redirect: false);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            throw;
        }

        return process.ExitCode;
    }

    private Task EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        Task check;
        lock (_checkLock)
        {
            // One check per client; a failed check is retried next time (podman may have been fixed meanwhile).
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
    }

    private async Task<PodmanResult> RunRawAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeStdin, CancellationToken cancellationToken)
    {
        using var process = Launch(arguments, redirect: true);
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

    private Process Launch(IReadOnlyList<string> arguments, bool redirect)
    {
        var psi = new ProcessStartInfo(podmanPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
        };
        if (redirect)
        {
            psi.StandardOutputEncoding = Encoding.UTF8;
            psi.StandardErrorEncoding = Encoding.UTF8;
        }

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
