using System.Text;

namespace Paude.Tests.Infrastructure;

/// <summary>Runs the real kubectl against a kubeconfig; argument vectors only.</summary>
public sealed class Kubectl(string kubeconfig)
{
    public async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string[] args, byte[]? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "true" };
        Func<Stream, Task>? input = stdin is null ? null : s => s.WriteAsync(stdin).AsTask();
        var outcome = await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", kubeconfig, .. args], input, environment: env, timeout: timeout ?? TimeSpan.FromSeconds(60));
        return (outcome.ExitCode, outcome.StandardOutput, outcome.StandardError);
    }

    public async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
