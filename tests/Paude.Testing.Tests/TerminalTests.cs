using System.Text;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// TTY exec driven through KubernetesClient's WebSocket: a real pty inside the container (stderr merged into stdout)
/// and the resize channel 4 applied to it, observed with <c>stty size</c> inside. kubectl's own <c>-it</c> needs a pty
/// on its side too, so the kubectl path is covered without a TTY (KubectlTests) and the TTY path here.
/// </summary>
public sealed class TerminalTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Tty_exec_merges_stderr_and_resize_reaches_the_terminal_each_time()
    {
        var name = $"tty-{Guid.NewGuid().ToString("N")[..6]}";
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name), "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), p => p.Status?.Phase == "Running", "running");

        using var ws = await fx.Client.WebSocketNamespacedPodExecAsync(
            name, "paude", ["sh", "-c", "echo to-stderr >&2; tty; while read line; do [ \"$line\" = end ] && exit 7; stty size; done"], "main",
            stderr: true, stdin: true, stdout: true, tty: true, webSocketSubProtocol: "v5.channel.k8s.io");
        using var demux = new StreamDemuxer(ws);
        demux.Start();
        var stdout = demux.GetStream(ChannelIndex.StdOut, null);
        var stderr = demux.GetStream(ChannelIndex.StdErr, null);
        var error = demux.GetStream(ChannelIndex.Error, null);
        var stdin = demux.GetStream(null, ChannelIndex.StdIn);
        var resize = demux.GetStream(null, ChannelIndex.Resize);
        var output = new StringBuilder();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await stdout.ReadAsync(buffer)) > 0)
            {
                lock (output)
                {
                    output.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
        });
        var errText = new StreamReader(stderr).ReadToEndAsync();

        async Task ResizeAndObserve(int width, int height)
        {
            await resize.WriteAsync(Encoding.UTF8.GetBytes($"{{\"Width\":{width},\"Height\":{height}}}"));
            await Wait.UntilAsync(
                async () =>
                {
                    await stdin.WriteAsync("\n"u8.ToArray());
                    await Task.Delay(100);
                    lock (output)
                    {
                        return output.ToString();
                    }
                },
                text => text.Contains($"{height} {width}\r\n", StringComparison.Ordinal),
                $"stty size {height} {width}",
                TimeSpan.FromSeconds(20));
        }

        await ResizeAndObserve(101, 33);
        await ResizeAndObserve(132, 50);
        await stdin.WriteAsync("end\n"u8.ToArray());
        var status = KubernetesJson.Deserialize<V1Status>(await new StreamReader(error).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        await reader.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("7", status.Details.Causes.Single(c => c.Reason == "ExitCode").Message);
        var text = output.ToString();
        Assert.Contains("to-stderr\r\n/dev/pts/", text, StringComparison.Ordinal); // pty: stderr merged, CRLF line discipline
        Assert.Contains("end\r\n", text, StringComparison.Ordinal); // the pty echoes input like a real terminal
        Assert.Equal("", await errText.WaitAsync(TimeSpan.FromSeconds(10)));
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }
}
