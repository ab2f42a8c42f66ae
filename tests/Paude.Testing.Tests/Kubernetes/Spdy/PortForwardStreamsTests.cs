using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Paude.Testing.Kubernetes.Spdy;

namespace Paude.Tests.Kubernetes.Spdy;

/// <summary>
/// <c>portforward.k8s.io</c> over a real SPDY session (loopback socket, bare client), the pod side replaced by a
/// recording forward: streams pair by requestID, the forward's failure lands on the error stream, headers the
/// kubelet refuses get RST_STREAM, and half a pair is told off after the pair timeout, like the kubelet does.
/// </summary>
public sealed class PortForwardStreamsTests
{
    [Fact]
    public async Task A_pair_is_forwarded_and_a_failure_goes_to_its_error_stream()
    {
        await using var session = await Session.StartAsync(TimeSpan.FromSeconds(30));
        await session.Client.SynStreamAsync(1, Headers("error", "9", "0"));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.DataAsync(1, [], fin: true);
        await session.Client.SynStreamAsync(3, Headers("data", "9", "0"));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);

        var frames = await session.ReadUntilBothFinishedAsync(1, 3);
        Assert.Equal("nothing listens on 9", Encoding.UTF8.GetString(frames[1]));
        Assert.Equal("pong", Encoding.UTF8.GetString(frames[3]));
        Assert.Equal([9], session.Forwarded);
    }

    [Theory]
    [InlineData("data", "", "0")]
    [InlineData("data", "0", "0")]
    [InlineData("data", "65536", "0")]
    [InlineData("data", "http", "0")]
    [InlineData("", "80", "0")]
    [InlineData("stdin", "80", "0")]
    public async Task Streams_the_kubelet_refuses_get_rst_stream(string type, string port, string requestId)
    {
        await using var session = await Session.StartAsync(TimeSpan.FromSeconds(30));
        await session.Client.SynStreamAsync(1, [.. Headers(type, port, requestId).Where(h => h.Value.Length > 0)]);
        var reset = await session.Client.ReadFrameAsync();
        Assert.Equal((3, 1u, 5u), (reset.Type, reset.StreamId, BinaryPrimitives.ReadUInt32BigEndian(reset.Payload.AsSpan(4))));
        Assert.Empty(session.Forwarded);
    }

    [Fact]
    public async Task Half_a_pair_times_out_and_a_second_error_stream_is_refused()
    {
        await using var session = await Session.StartAsync(TimeSpan.FromMilliseconds(500));
        await session.Client.SynStreamAsync(1, Headers("error", "80", "7"));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.SynStreamAsync(3, Headers("error", "80", "7"));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);

        // The duplicate: its complaint on the first error stream, RST_STREAM for itself.
        var message = await session.Client.ReadFrameAsync();
        Assert.Equal((false, 1u), (message.Control, message.StreamId));
        Assert.Contains("error stream already assigned", Encoding.UTF8.GetString(message.Payload), StringComparison.Ordinal);
        var reset = await session.Client.ReadFrameAsync();
        Assert.Equal((3, 3u), (reset.Type, reset.StreamId));

        // No data stream comes: told on the error stream, which then ends.
        var timedOut = await session.Client.ReadFrameAsync();
        Assert.Contains("timed out waiting for streams", Encoding.UTF8.GetString(timedOut.Payload), StringComparison.Ordinal);
        var fin = await session.Client.ReadFrameAsync();
        Assert.Equal((false, 1u, 1), (fin.Control, fin.StreamId, (int)fin.Flags));
        Assert.Empty(session.Forwarded);
    }

    [Fact]
    public async Task Without_request_ids_old_clients_pair_by_stream_id()
    {
        await using var session = await Session.StartAsync(TimeSpan.FromSeconds(30));
        await session.Client.SynStreamAsync(5, Headers("error", "81", ""));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.SynStreamAsync(7, Headers("data", "81", ""));
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.ReadUntilBothFinishedAsync(5, 7);
        Assert.Equal([81], session.Forwarded);
    }

    private static KeyValuePair<string, string>[] Headers(string type, string port, string requestId) =>
        [.. new KeyValuePair<string, string>[] { new("streamtype", type), new("port", port), new("requestid", requestId) }.Where(h => h.Value.Length > 0)];

    private sealed class Session : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly Socket server;
        private readonly SpdyConnection connection;
        private readonly CancellationTokenSource stop = new();
        private readonly PortForwardStreams streams;
        private readonly Task served;

        private Session(TcpListener listener, Socket server, SpdyTestClient client, TimeSpan pairTimeout)
        {
            this.listener = listener;
            this.server = server;
            Client = client;
            connection = new SpdyConnection(new NetworkStream(server, ownsSocket: false));
            streams = new PortForwardStreams(connection, ForwardAsync, pairTimeout, stop.Token);
            served = connection.RunAsync(streams, stop.Token);
        }

        public SpdyTestClient Client { get; }

        public ConcurrentQueue<int> Forwarded { get; } = new();

        public static async Task<Session> StartAsync(TimeSpan pairTimeout)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            var accept = listener.AcceptSocketAsync();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            return new Session(listener, await accept, new SpdyTestClient(client), pairTimeout);
        }

        /// <summary>Data frames per stream until both streams sent FIN.</summary>
        public async Task<Dictionary<uint, byte[]>> ReadUntilBothFinishedAsync(uint a, uint b)
        {
            var data = new Dictionary<uint, MemoryStream> { [a] = new(), [b] = new() };
            var finished = new HashSet<uint>();
            while (finished.Count < 2)
            {
                var frame = await Client.ReadFrameAsync();
                Assert.False(frame.Control, $"unexpected control frame {frame.Type}");
                data[frame.StreamId].Write(frame.Payload);
                if ((frame.Flags & 1) != 0)
                {
                    finished.Add(frame.StreamId);
                }
            }

            return data.ToDictionary(d => d.Key, d => d.Value.ToArray());
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await stop.CancelAsync();
            await served.WaitAsync(TimeSpan.FromSeconds(10));
            await streams.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
            server.Dispose();
            connection.Dispose();
            listener.Stop();
            listener.Dispose();
            stop.Dispose();
        }

        /// <summary>The pod side: answers "pong" on the data stream and reports a failure naming the port.</summary>
        private async Task<string?> ForwardAsync(int port, SpdyStream data, CancellationToken ct)
        {
            Forwarded.Enqueue(port);
            await data.WriteAsync("pong"u8.ToArray(), ct);
            return $"nothing listens on {port}";
        }
    }
}
