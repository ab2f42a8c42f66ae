using System.Diagnostics;
using System.Text;

namespace Paude.Tests.Support;

/// <summary>Runs a real program (tar, git, podman) as an argument vector and captures its output.</summary>
internal static class Run
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}): {Stderr}{Stdout}");
    }

    public static async Task<Result> ExecAsync(IReadOnlyList<string> argv, Func<Stream, Task>? stdin = null, string? cwd = null, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in argv.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        if (cwd is not null)
        {
            start.WorkingDirectory = cwd;
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await stdin(p.StandardInput.BaseStream);
        }

        p.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static Task<Result> ExecAsync(params string[] argv) => ExecAsync((IReadOnlyList<string>)argv);
}
