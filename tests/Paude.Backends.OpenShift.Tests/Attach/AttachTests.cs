using Paude.Sessions;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using k8s;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Resilience;
using Paude.Execution;
using Paude.Errors;

namespace Paude.Backends.OpenShift.Tests.Attach;

/// <summary>
/// The attach core end to end against the Kubernetes test server (restricted-v2): a TTY exec whose pseudo-terminal
/// takes the sizes sent on the resize channel (seen by <c>stty size</c> inside), raw mode entered once and
/// restored on every path, the exit code passed on, cancellation prompt, and a pod that goes away ending the attach with a clear error.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class AttachTests(KubeServerFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private static readonly IReadOnlyList<string> SizeLoop =
        ["sh", "-c", "stty size; while read line; do [ \"$line\" = end ] && exit 7; stty size; done"];

    private OpenShiftBackend Backend => (OpenShiftBackend)fixture.Backend;

    [Fact]
    public async Task The_initial_size_and_a_resize_reach_the_sessions_terminal_and_the_exit_code_passes_on()
    {
        var name = await SharedSession.GetAsync(fixture);
        using var terminal = new StreamTerminal(new TerminalSize(91, 33));

        var attach = Backend.AttachAsync(name, SizeLoop, terminal, CancellationToken.None);
        await terminal.PressEnterUntilAsync("33 91\r\n", Patience);
        Assert.Equal((1, 0), (terminal.RawEntered, terminal.RawRestored)); // raw for the whole session, not per key
        terminal.Resize(132, 50);
        await terminal.PressEnterUntilAsync("50 132\r\n", Patience);
        await terminal.TypeAsync("end\n");
        var exit = await attach.WaitAsync(Patience);

        Assert.Equal(7, exit);
        Assert.Contains("end\r\n", terminal.Screen, StringComparison.Ordinal); // the remote pty echoes; nothing local
        Assert.Equal((1, 1), (terminal.RawEntered, terminal.RawRestored));
    }

    [Fact]
    public async Task Cancelling_an_attach_ends_it_promptly_and_restores_the_terminal()
    {
        var name = await SharedSession.GetAsync(fixture);
        using var terminal = new StreamTerminal(new TerminalSize(80, 24));
        using var cancel = new CancellationTokenSource();

        var attach = Backend.AttachAsync(name, ["sh", "-c", "echo attached; exec sleep 600"], terminal, cancel.Token);
        await terminal.WaitForAsync("attached", Patience);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attach.WaitAsync(Patience));
        Assert.Equal((1, 1), (terminal.RawEntered, terminal.RawRestored));
    }

    [Fact]
    public async Task A_pod_deleted_mid_attach_ends_it_with_a_clear_error_and_no_hang()
    {
        var name = fixture.NewName("attachgone");
        try
        {
            await Backend.CreateAsync(fixture.Spec(name));
            using var terminal = new StreamTerminal(new TerminalSize(80, 24));
            var attach = Backend.AttachAsync(name, ["sh", "-c", "echo attached; exec sleep 600"], terminal, CancellationToken.None);
            await terminal.WaitForAsync("attached", Patience);

            using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
            await client.CoreV1.DeleteNamespacedPodAsync($"paude-{name}-0", KubeServerFixture.Namespace, gracePeriodSeconds: 0);

            var error = await Assert.ThrowsAsync<BackendOperationException>(() => attach.WaitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains($"paude-{name}-0", error.Message, StringComparison.Ordinal);
            Assert.Contains("went away", error.Message, StringComparison.Ordinal);
            Assert.Equal((1, 1), (terminal.RawEntered, terminal.RawRestored));
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Attaching_to_a_missing_session_is_typed_and_never_touches_the_terminal()
    {
        using var terminal = new StreamTerminal(new TerminalSize(80, 24));

        await Assert.ThrowsAsync<SessionNotFoundException>(() => Backend.AttachAsync(fixture.NewName("nosuch"), SizeLoop, terminal, CancellationToken.None));
        Assert.Equal(0, terminal.RawEntered);
    }

    [Fact]
    public async Task On_a_v4_only_exec_stream_the_tty_gets_stdin_unframed_and_the_resizes_too()
    {
        var name = await SharedSession.GetAsync(fixture);
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var options = new OpenShiftBackendOptions();
        var exec = new PodExec(client, KubeServerFixture.Namespace, KubeResilience.Build(options, TimeProvider.System)) { V4Only = true };
        using var terminal = new StreamTerminal(new TerminalSize(91, 33));

        await using var session = await exec.StartAsync($"paude-{name}-0", "paude", new ProcessSpec(SizeLoop) { RedirectStandardInput = true }, CancellationToken.None, tty: true);
        var pump = new AttachPump(session, (size, ct) => session.ResizeAsync(size.Width, size.Height, ct));
        var attach = pump.RunAsync(terminal.Input, terminal.Output, terminal.SizesAsync(CancellationToken.None), CancellationToken.None);
        await terminal.PressEnterUntilAsync("33 91\r\n", Patience);
        terminal.Resize(100, 40);
        await terminal.PressEnterUntilAsync("40 100\r\n", Patience);
        await terminal.TypeAsync("end\n");

        Assert.Equal((false, false), (session.IsV5, session.FramedStdin)); // v4, and no framing pipe between the pty and the command
        Assert.Equal(7, await attach.WaitAsync(Patience));
    }
}
