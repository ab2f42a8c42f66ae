using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Manifests;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Attach;

/// <summary>Attach: the agent's tmux session on the caller's terminal, over a TTY exec.</summary>
internal sealed class OpenShiftAttach(PodExec exec, AgentChannel channel)
{
    /// <summary>What <see cref="ISessionBackend.AttachAsync"/> runs: the image's attach entry point.</summary>
    public static readonly IReadOnlyList<string> AttachCommand = ["paude-attach"];

    /// <summary>
    /// Runs <paramref name="command"/> in the agent container on a pseudo-terminal attached to <paramref name="terminal"/>:
    /// raw mode from the moment the exec stream is open until it ends (restored on every path), the terminal size
    /// sent on the resize channel at once and on every change. A pod deleted or replaced meanwhile is an error
    /// (the exit code of a killed process would say nothing).
    /// </summary>
    public async Task<int> AttachAsync(SessionName name, IReadOnlyList<string> command, IAttachTerminal terminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        var (pod, uid) = await channel.RequireRunningAgentAsync(name, cancellationToken).ConfigureAwait(false);
        var spec = new ProcessSpec(command) { RedirectStandardInput = true };
        var session = await exec.StartAsync(pod, SessionLabels.AgentContainer, spec, cancellationToken, tty: true).ConfigureAwait(false);
        var process = new PodBoundProcess(session, pod, ct => channel.IsSamePodAsync(pod, uid, ct));
        await using (process.ConfigureAwait(false))
        {
            using var raw = terminal.EnterRawMode();
            var pump = new AttachPump(process, (size, ct) => session.ResizeAsync(size.Width, size.Height, ct));
            return await pump.RunAsync(terminal.Input, terminal.Output, terminal.SizesAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }
}
