namespace Paude.Tests.Support;

/// <summary>Runs a real program (tar, git, podman) as an argument vector and captures its output (through <see cref="ProcessRunner"/>).</summary>
internal static class Run
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}): {Stderr}{Stdout}");
    }

    public static async Task<Result> ExecAsync(IReadOnlyList<string> argv, Func<Stream, Task>? stdin = null, string? cwd = null, IDictionary<string, string>? env = null)
    {
        var outcome = await ProcessRunner.RunAsync(argv[0], argv.Skip(1), stdin, cwd, env is null ? null : new Dictionary<string, string>(env), TimeSpan.FromMinutes(3));
        return new Result(outcome.ExitCode, outcome.StandardOutput, outcome.StandardError);
    }

    public static Task<Result> ExecAsync(params string[] argv) => ExecAsync((IReadOnlyList<string>)argv);
}
