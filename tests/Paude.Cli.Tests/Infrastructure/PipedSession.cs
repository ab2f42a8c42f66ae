using System.Diagnostics;
using System.Text;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>A process (script(1) giving a real pty, or paude itself) whose keys are written to its stdin and whose screen is collected.</summary>
public sealed class PipedSession : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly Task _reader;
    private readonly Task<string> _stderr;

    public PipedSession(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_screen)
                {
                    _screen.Append(buffer, 0, n);
                }
            }
        });
    }

    public string Screen
    {
        get
        {
            lock (_screen)
            {
                return _screen.ToString();
            }
        }
    }

    public async Task WaitForAsync(string text)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!Screen.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(deadline.IsCancellationRequested || _process.HasExited, $"'{text}' never showed; screen:\n{Screen}\nstderr: {(_process.HasExited ? _stderr.Result : "")}");
            await Task.Delay(100);
        }
    }

    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<(int ExitCode, string Screen)> EndAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"still running a minute later; screen:\n{Screen}");
        }

        await _reader;
        return (_process.ExitCode, Screen + await _stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
