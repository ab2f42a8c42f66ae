using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Paude.Testing.Kubernetes.Spdy;

namespace Paude.Tests.Kubernetes.Spdy;

/// <summary>
/// The test server's SPDY/3 session over a real loopback socket, driven by a hand-written client: header blocks
/// compressed by zlib against the SPDY dictionary decode; streams open, echo and close; and a hostile client's
/// malformed frames get RST_STREAM (one stream) or GOAWAY PROTOCOL_ERROR (the session), never an exception.
/// </summary>
public sealed class SpdyConnectionTests
{
    // Python's zlib with the SPDY dictionary, sync-flushed after each block, like spdystream's framer:
    // {port: 8080, requestid: 0, streamtype: error} then {port: 8080, requestid: 0, streamtype: data}.
    private static readonly byte[] ZlibFirst = Convert.FromHexString("78f9e3c6a7c202253a48f95b044eea16061606409ab308125f99a074cc68004e892545a989b9d0c2863515141500000000ffff");
    private static readonly byte[] ZlibSecond = Convert.FromHexString("225333a8a44a04000000ffff");

    [Fact]
    public void Header_blocks_compressed_against_the_dictionary_decode_across_frames()
    {
        using var decoder = new SpdyHeaderDecoder();
        var first = decoder.Decode(ZlibFirst);
        var second = decoder.Decode(ZlibSecond);
        Assert.Equal(["8080"], first["port"]);
        Assert.Equal(["error"], first["streamtype"]);
        Assert.Equal(["0"], first["requestid"]);
        Assert.Equal(["data"], second["streamtype"]);
        Assert.Equal(3, second.Count);
    }

    [Fact]
    public void Blocks_the_server_encodes_decode_again()
    {
        var encoder = new SpdyHeaderEncoder();
        using var decoder = new SpdyHeaderDecoder();
        Assert.Empty(decoder.Decode(encoder.Encode([])));
        var block = decoder.Decode(encoder.Encode([new("port", "9"), new("streamtype", "data")]));
        Assert.Equal(["9"], block["port"]);
        Assert.Equal(["data"], block["streamtype"]);
    }

    [Fact]
    public async Task A_stream_is_replied_to_echoed_and_closed_and_pings_are_answered()
    {
        await using var session = await Session.StartAsync();
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data")]);
        var reply = await session.Client.ReadFrameAsync();
        Assert.Equal((true, 2, 1u), (reply.Control, reply.Type, reply.StreamId));

        await session.Client.DataAsync(1, "hello"u8.ToArray(), fin: true);
        var echo = await session.Client.ReadFrameAsync();
        Assert.Equal((false, 1u), (echo.Control, echo.StreamId));
        Assert.Equal("hello"u8.ToArray(), echo.Payload);
        var fin = await session.Client.ReadFrameAsync();
        Assert.Equal((false, 1u, 1, 0), (fin.Control, fin.StreamId, (int)fin.Flags, fin.Payload.Length));

        await session.Client.ControlAsync(6, 0, [0, 0, 0, 7]);
        var pong = await session.Client.ReadFrameAsync();
        Assert.Equal((true, 6), (pong.Control, pong.Type));
        Assert.Equal(new byte[] { 0, 0, 0, 7 }, pong.Payload);
    }

    [Fact]
    public async Task Stream_errors_get_rst_stream_and_the_session_goes_on()
    {
        await using var session = await Session.StartAsync();

        // Refused by the handler (no port): RST_STREAM CANCEL, as spdystream's Reset.
        await session.Client.SynStreamAsync(1, [new("streamtype", "data")]);
        Assert.Equal((3, 1u, 5u), Rst(await session.Client.ReadFrameAsync()));

        // Data on a stream never opened: RST_STREAM INVALID_STREAM.
        await session.Client.DataAsync(41, [1, 2, 3], fin: false);
        Assert.Equal((3, 41u, 2u), Rst(await session.Client.ReadFrameAsync()));

        // Data after the client's own FIN: RST_STREAM STREAM_ALREADY_CLOSED.
        await session.Client.SynStreamAsync(43, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.DataAsync(43, [], fin: true);
        await session.Client.DataAsync(43, [9], fin: false);
        Assert.Equal((3, 43u, 9u), Rst(await session.Client.ReadFrameAsync()));

        // Still serving: a PING is answered.
        await session.Client.ControlAsync(6, 0, [0, 0, 0, 9]);
        Assert.Equal(6, (await session.Client.ReadFrameAsync()).Type);
    }

    [Fact]
    public async Task A_stream_nobody_reads_does_not_stop_the_other_streams()
    {
        await using var session = await Session.StartAsync();
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.SynStreamAsync(3, [new("port", "80"), new("streamtype", "data")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);

        // 4 MiB for the stream nobody reads (as kubectl sends: no regard for windows), then a few bytes for the other.
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 64; i++)
        {
            await session.Client.DataAsync(1, chunk, fin: false).WaitAsync(TimeSpan.FromSeconds(30));
        }

        await session.Client.DataAsync(3, "still flowing"u8.ToArray(), fin: true).WaitAsync(TimeSpan.FromSeconds(30));
        var echo = await session.Client.ReadFrameAsync();
        Assert.Equal((false, 3u), (echo.Control, echo.StreamId));
        Assert.Equal("still flowing"u8.ToArray(), echo.Payload);
    }

    [Fact]
    public async Task Consumed_bytes_come_back_to_the_client_as_window_updates()
    {
        await using var session = await Session.StartAsync();
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);

        // A client that honours SPDY/3.1 windows: 64 KiB, then it waits for WINDOW_UPDATE before sending more.
        await session.Client.DataAsync(1, new byte[SpdyConnection.InitialWindow], fin: false);
        long echoed = 0, streamWindow = 0, sessionWindow = 0;
        while (echoed < SpdyConnection.InitialWindow || streamWindow < SpdyConnection.InitialWindow / 2 || sessionWindow < SpdyConnection.InitialWindow / 2)
        {
            var frame = await session.Client.ReadFrameAsync();
            if (!frame.Control)
            {
                echoed += frame.Payload.Length;
                continue;
            }

            Assert.Equal(9, frame.Type);
            var delta = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4));
            _ = frame.StreamId == 1 ? streamWindow += delta : frame.StreamId == 0 ? sessionWindow += delta : throw new Xunit.Sdk.XunitException($"window update for stream {frame.StreamId}");
        }

        Assert.Equal(SpdyConnection.InitialWindow, echoed);
        Assert.True(streamWindow <= SpdyConnection.InitialWindow && sessionWindow <= SpdyConnection.InitialWindow, $"{streamWindow} / {sessionWindow}");
    }

    [Fact]
    public async Task A_client_that_overruns_a_stream_nobody_reads_gets_that_stream_reset()
    {
        await using var session = await Session.StartAsync(new SpdyConnectionOptions { StreamBufferLimit = 256 * 1024, StallTimeout = TimeSpan.FromMilliseconds(300) });
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        for (var i = 0; i < 5; i++)
        {
            await session.Client.DataAsync(1, new byte[64 * 1024], fin: false);
        }

        Assert.Equal((3, 1u, 7u), Rst(await NextAsync(session.Client)));
        Assert.True(session.Handler.Opened.Single().Aborted.IsCancellationRequested);

        // The session goes on: a new stream echoes.
        await session.Client.SynStreamAsync(3, [new("port", "80"), new("streamtype", "data")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        await session.Client.DataAsync(3, [42], fin: true);
        var echo = await NextAsync(session.Client);
        Assert.Equal(3u, echo.StreamId);
        Assert.Equal(new byte[] { 42 }, echo.Payload);
    }

    [Fact]
    public async Task A_slow_reader_past_the_limit_slows_the_client_down_and_loses_nothing()
    {
        await using var session = await Session.StartAsync(new SpdyConnectionOptions { StreamBufferLimit = 128 * 1024, StallTimeout = TimeSpan.FromSeconds(20) });
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data"), new("slow", "1")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        var echoed = Task.Run(async () =>
        {
            long total = 0;
            while (true)
            {
                var frame = await session.Client.ReadFrameAsync();
                Assert.False(frame.Control && frame.Type == 3, "the slow stream was reset");
                total += frame.Control ? 0 : frame.Payload.Length;
                if (!frame.Control && (frame.Flags & 1) != 0)
                {
                    return total;
                }
            }
        });

        for (var i = 0; i < 16; i++)
        {
            await session.Client.DataAsync(1, new byte[64 * 1024], fin: i == 15);
        }

        Assert.Equal(1024 * 1024, await echoed.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Streams_together_may_not_hold_more_than_the_session_limit()
    {
        await using var session = await Session.StartAsync(new SpdyConnectionOptions { SessionBufferLimit = 256 * 1024, StallTimeout = TimeSpan.FromMilliseconds(300) });
        for (uint id = 1; id <= 5; id += 2)
        {
            await session.Client.SynStreamAsync(id, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
            Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
            await session.Client.DataAsync(id, new byte[100 * 1024], fin: false);
        }

        // 200 KiB held by streams 1 and 3; stream 5's 100 KiB would pass 256 KiB.
        Assert.Equal((3, 5u, 7u), Rst(await NextAsync(session.Client)));
        Assert.False(session.Handler.Opened[0].Aborted.IsCancellationRequested);
    }

    [Fact]
    public async Task An_idle_session_gets_goaway_and_ends_but_pings_keep_it_open()
    {
        // Pings every 300 ms for 3 s, longer than the 2 s idle timeout, so only the pings keep it open. With 700 ms, one
        // ping late by 400 ms on a loaded CI machine met the GOAWAY instead of its answer (type 7 where 6 was expected).
        await using var session = await Session.StartAsync(new SpdyConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(2) });
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(300);
            await session.Client.ControlAsync(6, 0, [0, 0, 0, (byte)((2 * i) + 1)]);
            Assert.Equal(6, (await session.Client.ReadFrameAsync()).Type);
        }

        Assert.False(session.Served.IsCompleted);
        var goAway = await session.Client.ReadFrameAsync();
        Assert.Equal((true, 7, 0u), (goAway.Control, goAway.Type, BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.AsSpan(4))));
        await session.Served.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_idle_session_ends_with_its_open_streams_aborted()
    {
        await using var session = await Session.StartAsync(new SpdyConnectionOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
        Assert.Equal(2, (await session.Client.ReadFrameAsync()).Type);
        Assert.Equal(7, (await session.Client.ReadFrameAsync()).Type);
        await session.Served.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(session.Handler.Opened.Single().Aborted.IsCancellationRequested);
    }

    public static TheoryData<string, byte[]> BrokenSessions => new()
    {
        { "SPDY version 2", Frame(0x8002_0006, 0, [0, 0, 0, 1]) },
        { "control frame of 16 MiB - 1", Frame(0x8003_0001, 0, [], declaredLength: 0xFFFFFF) },
        { "SYN_STREAM too short", Frame(0x8003_0001, 0, [0, 0, 0, 1]) },
        { "header block not zlib", Frame(0x8003_0001, 0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. "garbage!"u8.ToArray()]) },
        { "zlib without the SPDY dictionary", Frame(0x8003_0001, 0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x78, 0x9C, 0x03, 0x00]) },
        { "even stream id", Frame(0x8003_0001, 0, [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, .. new SpdyHeaderEncoder().Encode([new("port", "80"), new("streamtype", "data")])]) },
        { "header count of 4 billion", Frame(0x8003_0001, 0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. StoredBlock([0xFF, 0xFF, 0xFF, 0xFF])]) },
        { "header name of 4 GiB", Frame(0x8003_0001, 0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. StoredBlock([0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xF0])]) },
        { "header block cut short", Frame(0x8003_0001, 0, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. StoredBlock([0, 0, 0, 1, 0, 0, 0, 4, (byte)'p'])]) },
        { "PING of 5 bytes", Frame(0x8003_0006, 0, [0, 0, 0, 1, 0]) },
        { "RST_STREAM with status 0", Frame(0x8003_0003, 0, [0, 0, 0, 1, 0, 0, 0, 0]) },
        { "SETTINGS count not its length", Frame(0x8003_0004, 0, [0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1]) },
        { "DATA on stream 0", Frame(0x0000_0000, 0, [1]) },
    };

    [Theory]
    [MemberData(nameof(BrokenSessions))]
    public async Task A_broken_session_gets_goaway_protocol_error_and_ends_without_throwing(string what, byte[] frame)
    {
        await using var session = await Session.StartAsync();
        await session.Client.WriteAsync(frame);
        var goAway = await session.Client.ReadFrameAsync();
        Assert.True(goAway is { Control: true, Type: 7 }, $"{what}: got type {goAway.Type}");
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.AsSpan(4)));
        Assert.Null(await session.Client.TryReadFrameAsync());
        await session.Served.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_client_that_vanishes_mid_frame_ends_the_session_quietly()
    {
        await using var session = await Session.StartAsync();
        await session.Client.SynStreamAsync(1, [new("port", "80"), new("streamtype", "data"), new("hold", "1")]);
        await session.Client.ReadFrameAsync();
        await session.Client.WriteAsync([0, 0, 0, 1, 0, 0, 0x10]);
        session.Client.Dispose();
        await session.Served.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(session.Handler.Opened.Single().Aborted.IsCancellationRequested);
    }

    /// <summary>The next frame but WINDOW_UPDATE; the window updates the server sends meanwhile are skipped.</summary>
    private static async Task<SpdyTestClient.Frame> NextAsync(SpdyTestClient client)
    {
        while (true)
        {
            var frame = await client.ReadFrameAsync();
            if (!frame.Control || frame.Type != 9)
            {
                return frame;
            }
        }
    }

    private static (int Type, uint Stream, uint Status) Rst(SpdyTestClient.Frame frame) =>
        (frame.Type, BinaryPrimitives.ReadUInt32BigEndian(frame.Payload), BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4)));

    private static byte[] Frame(uint first, byte flags, byte[] payload, int? declaredLength = null)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, first);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)(declaredLength ?? payload.Length));
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>A header block the first of a session: zlib header with the SPDY dictionary, then one stored block.</summary>
    private static byte[] StoredBlock(byte[] plain) =>
        [0x78, 0xF9, 0xE3, 0xC6, 0xA7, 0xC2, 0x00, (byte)plain.Length, (byte)(plain.Length >> 8), (byte)~plain.Length, (byte)(~plain.Length >> 8), .. plain, 0x00, 0x00, 0x00, 0xFF, 0xFF];

    /// <summary>Takes streams with a port; echoes what each receives and closes when the client does (unless told to hold).</summary>
    private sealed class EchoHandler : ISpdyStreamHandler
    {
        public List<SpdyStream> Opened { get; } = [];

        public string? Check(SpdyStream stream) => stream.Header("port").Length == 0 ? "no port" : null;

        void ISpdyStreamHandler.Opened(SpdyStream stream)
        {
            Opened.Add(stream);
            if (stream.Header("hold").Length == 0)
            {
                _ = EchoAsync(stream);
            }
        }

        private static async Task EchoAsync(SpdyStream stream)
        {
            while (true)
            {
                if (stream.Header("slow").Length > 0)
                {
                    await Task.Delay(20);
                }

                var read = await stream.Input.ReadAsync(stream.Aborted);
                foreach (var segment in read.Buffer)
                {
                    await stream.WriteAsync(segment, CancellationToken.None);
                }

                stream.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    await stream.CloseAsync(CancellationToken.None);
                    return;
                }
            }
        }
    }

    private sealed class Session : IAsyncDisposable
    {
        private readonly TcpListener listener;
        private readonly Socket server;
        private readonly SpdyConnection connection;

        private Session(TcpListener listener, Socket server, SpdyTestClient client, SpdyConnectionOptions? options)
        {
            this.listener = listener;
            this.server = server;
            Client = client;
            connection = new SpdyConnection(new NetworkStream(server, ownsSocket: false), options);
            Served = ServeAsync();
        }

        public SpdyTestClient Client { get; }

        public EchoHandler Handler { get; } = new();

        public Task Served { get; }

        public static async Task<Session> StartAsync(SpdyConnectionOptions? options = null)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            var accept = listener.AcceptSocketAsync();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            return new Session(listener, await accept, new SpdyTestClient(client), options);
        }

        /// <summary>The session, then the server's end of the socket closed, as the port-forward endpoint does.</summary>
        private async Task ServeAsync()
        {
            await connection.RunAsync(Handler, CancellationToken.None);
            server.Shutdown(SocketShutdown.Both);
        }

        public async ValueTask DisposeAsync()
        {
            // The client's close ends the session (EOF); only then is the server's socket released.
            Client.Dispose();
            await Served.WaitAsync(TimeSpan.FromSeconds(10));
            server.Dispose();
            connection.Dispose();
            listener.Stop();
            listener.Dispose();
        }
    }
}
