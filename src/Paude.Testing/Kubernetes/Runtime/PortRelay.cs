using System.Diagnostics;
using System.Net.Sockets;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// The pod's end of one forwarded connection: a socket on the pod's loopback (<see cref="PodNetworkNamespace"/>), or
/// where this process cannot enter the pod's network namespace, the SDK's port relay run by <c>podman exec -i</c>
/// (<see cref="Paude.Forwarding.PortForwarding.RelayCommand"/>). Both protocols (WebSocket channels, SPDY streams)
/// use it the same way: bytes to <see cref="ToPod"/>, the client's end as <see cref="EndInput"/>, bytes from
/// <see cref="FromPod"/> until it ends, then <see cref="EndedAsync"/> for the kubelet's complaint if it failed.
/// </summary>
internal abstract class PortRelay : IDisposable
{
    /// <summary>What the pod's port sends; ends when it closes.</summary>
    public abstract Stream FromPod { get; }

    /// <summary>What the client sends to the pod's port.</summary>
    public abstract Stream ToPod { get; }

    /// <summary>Opens the pod's end of a connection to <paramref name="port"/>.</summary>
    public static async Task<PortRelay> OpenAsync(PodNetworkNamespace network, PodmanCli podman, string podmanName, string containerStart, int port, CancellationToken ct)
    {
        try
        {
            if (await network.TryConnectAsync(podmanName, containerStart, port, ct).ConfigureAwait(false) is { } socket)
            {
                return new SocketRelay(socket);
            }
        }
        catch (SocketException e)
        {
            // Go's wording (what a kubelet reports), e.g. "dial tcp4 127.0.0.1:9: connect: connection refused".
            var reason = e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message;
            return new FailedRelay($"dial tcp4 127.0.0.1:{port}: connect: {reason}");
        }

        return new ExecRelay(podman.Start(["exec", "-i", podmanName, .. Paude.Forwarding.PortForwarding.RelayCommand(port)], redirectStdin: true));
    }

    /// <summary>The client is done sending: the pod's server sees a half-close; its answer still flows.</summary>
    public abstract void EndInput();

    /// <summary>After <see cref="FromPod"/> ended: <see langword="null"/>, or why the connection failed.</summary>
    public abstract Task<string?> EndedAsync(CancellationToken ct);

    public abstract void Dispose();

    private sealed class SocketRelay(Socket socket) : PortRelay
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);

        public override Stream FromPod => _stream;

        public override Stream ToPod => _stream;

        public override void EndInput()
        {
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }

        public override Task<string?> EndedAsync(CancellationToken ct) => Task.FromResult<string?>(null);

        public override void Dispose() => _stream.Dispose();
    }

    private sealed class FailedRelay(string complaint) : PortRelay
    {
        public override Stream FromPod => Stream.Null;

        public override Stream ToPod => Stream.Null;

        public override void EndInput()
        {
        }

        public override Task<string?> EndedAsync(CancellationToken ct) => Task.FromResult<string?>(complaint);

        public override void Dispose()
        {
        }
    }

    private sealed class ExecRelay : PortRelay
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;

        public ExecRelay(Process process)
        {
            _process = process;
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public override Stream FromPod => _process.StandardOutput.BaseStream;

        public override Stream ToPod => _process.StandardInput.BaseStream;

        public override void EndInput()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }
        }

        public override async Task<string?> EndedAsync(CancellationToken ct)
        {
            // The pod's side closed and the relay exits by itself; one that does not within a second is done all
            // the same (a failed connect exits at once, with its complaint).
            using (var grace = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                grace.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    PodmanCli.TryKill(_process);
                    return null;
                }
            }

            var complaint = (await _stderr.ConfigureAwait(false)).Trim();
            return _process.ExitCode == 0 ? null : complaint;
        }

        public override void Dispose()
        {
            PodmanCli.TryKill(_process);
            _process.Dispose();
        }
    }
}
