using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Forwarding;

/// <summary>
/// A connection into a session through its exec channel: <see cref="PortRelayScript"/> run in the agent container,
/// its stdin and stdout being the two directions. No listening socket is opened anywhere but the local one: the
/// session keeps its network as it is.
/// </summary>
internal sealed class ExecRelayConnection(ISessionProcess process) : SessionConnection
{
    public override Stream ToSession => process.StandardInput;

    public override Stream FromSession => process.StandardOutput;

    /// <summary>Starts the relay process in <paramref name="name"/>.</summary>
    public static async Task<SessionConnection> OpenAsync(ISessionBackend backend, SessionName name, int port, CancellationToken cancellationToken)
    {
        var process = await backend.StartProcessAsync(name, new ProcessSpec(PortRelayScript.Command(port)) { RedirectStandardInput = true }, cancellationToken).ConfigureAwait(false);
        // stderr is the relay's complaint (e.g. connection refused) and must be drained or the process could block on it.
        _ = process.StandardError.CopyToAsync(Stream.Null, CancellationToken.None).ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return new ExecRelayConnection(process);
    }

    public override async ValueTask CompleteSendingAsync(CancellationToken cancellationToken) =>
        await process.StandardInput.DisposeAsync().ConfigureAwait(false);

    public override async ValueTask DisposeAsync()
    {
        // The relay ends by itself once both directions are done; disposing a process still running costs the backend
        // a kill (another exec), so give it a moment first.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or PaudeException or IOException)
        {
            // Still running or already broken: disposing kills it.
        }

        await process.DisposeAsync().ConfigureAwait(false);
    }
}
