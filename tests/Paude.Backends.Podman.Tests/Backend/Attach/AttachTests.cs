using System.Text.RegularExpressions;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Backend.Attach;

/// <summary>
/// <see cref="ISessionBackend.AttachAsync"/> on Podman through a terminal made of pipes (as an embedding app would
/// pass one, no console involved): the agent's tmux session shows on it, keys reach the agent, the initial size and
/// a resize reach the session's pseudo-terminal (the agent prints <c>stty size</c> inside tmux), raw mode is held
/// for the whole attach, and Ctrl+b d detaches with exit code 0 while the session keeps running.
/// </summary>
public sealed class AttachTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    // The agent (inside tmux) prints its terminal's size at start and on every line typed.
    private static readonly IReadOnlyList<string> SizeLoop = ["bash", "-c", "stty size; while read line; do stty size; done"];

    [Fact]
    public async Task A_pipe_terminal_attaches_gets_its_sizes_applied_and_detaches()
    {
        var name = fixture.NewName("attach");
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { AgentCommand = SizeLoop });
        using var terminal = new StreamTerminal(new TerminalSize(91, 33));

        var attach = fixture.Backend.AttachAsync(name, terminal);

        // tmux draws the pane: its size is the client's, less tmux's status line when one is shown.
        await PressEnterUntilAsync(terminal, attach, new Regex("3[23] 91"));
        Assert.Equal((1, 0), (terminal.RawEntered, terminal.RawRestored)); // raw for the whole attach, not per key
        terminal.Resize(132, 50);
        await PressEnterUntilAsync(terminal, attach, new Regex("(49|50) 132"));

        await terminal.TypeAsync("\u0002d"); // Ctrl+b d: tmux detaches, the attach process exits 0
        Assert.Equal(0, await attach.WaitAsync(Patience));
        Assert.Equal((1, 1), (terminal.RawEntered, terminal.RawRestored));
        Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(name))!.Status);
    }

    [Fact]
    public async Task Attaching_to_a_missing_or_stopped_session_is_a_typed_error_and_raw_mode_is_never_entered()
    {
        using var terminal = new StreamTerminal(new TerminalSize(80, 24));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => fixture.Backend.AttachAsync(fixture.NewName("nosuch"), terminal));

        var name = fixture.NewName("attachstop");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        await fixture.Backend.StopAsync(name);
        await Assert.ThrowsAsync<SessionNotRunningException>(() => fixture.Backend.AttachAsync(name, terminal));
        Assert.Equal(0, terminal.RawEntered);
    }

    [Fact]
    public async Task Cancelling_ends_the_attach_promptly_and_restores_raw_mode()
    {
        var name = fixture.NewName("attachcancel");
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { AgentCommand = SizeLoop });
        using var terminal = new StreamTerminal(new TerminalSize(80, 24));
        using var cancel = new CancellationTokenSource();

        var attach = fixture.Backend.AttachAsync(name, terminal, cancel.Token);
        await PressEnterUntilAsync(terminal, attach, new Regex("2[34] 80"));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attach.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal((1, 1), (terminal.RawEntered, terminal.RawRestored));

        // Killing the local podman client alone would leave the tmux client attached inside the container.
        await Eventually.UntilAsync(
            async () => (await Podman.RunAsync("exec", "paude-" + name.Value, "tmux", "list-clients")).StandardOutput.Trim(),
            clients => clients.Length == 0,
            "no tmux client left after the cancelled attach",
            TimeSpan.FromSeconds(20));
    }

    private static async Task PressEnterUntilAsync(StreamTerminal terminal, Task<int> attach, Regex expected)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!expected.IsMatch(terminal.Screen))
        {
            // An attach that already ended will never draw: say how it ended instead of typing into nothing for a minute.
            Assert.False(attach.IsCompleted, $"the attach ended before '{expected}' showed: {(attach.IsCompletedSuccessfully ? $"exit {attach.Result}" : attach.Exception?.GetBaseException().Message ?? "cancelled")}; screen:\n{terminal.Screen}");
            Assert.False(deadline.IsCancellationRequested, $"'{expected}' never showed; screen:\n{terminal.Screen}");
            await terminal.TypeAsync("\r");
            await Task.Delay(300);
        }
    }
}
