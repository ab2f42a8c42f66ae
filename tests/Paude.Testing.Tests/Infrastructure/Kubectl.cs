using System.Diagnostics;
using System.Text;

namespace Paude.Tests.Infrastructure;

/// <summary>Runs the real kubectl against a kubeconfig; argument vectors only.</summary>
public sealed class Kubectl(string kubeconfig)
{
    public async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string[] args, byte[]? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--kubeconfig");
        info.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "true";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} timed out; stderr: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
