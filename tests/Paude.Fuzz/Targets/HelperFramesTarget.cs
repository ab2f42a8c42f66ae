using System.Buffers.Binary;
using Paude.Errors;
using Paude.Sync.Continuous.Helper;

namespace Paude.Fuzz.Targets;

/// <summary>
/// The host's side of the session helper's protocol (helper/Paude.SessionHelper/PROTOCOL.md): the input is what a
/// hostile helper writes on its stdout. First byte 0: the input is the whole answer to Hello. Otherwise a valid HelloOk
/// comes first, the host then sends List, Read, Git and Watch at once (ids 2..5) and the input, then the end of the
/// stream, is everything the helper answers to them — so no input depends on timing. Promises: only
/// <see cref="UnsafeContentException"/>, <see cref="HelperChannelException"/> or <see cref="HelperOperationException"/>;
/// listed and watched paths are relative, without <c>..</c>, <c>.git</c> or control characters, and under what was
/// asked; a read never delivers more than its bound; everything ends when the stream ends (no wait for a timeout);
/// the helper's error text reaches an exception message without control characters.
/// </summary>
public sealed class HelperFramesTarget : IFuzzTarget
{
    private const long ReadBound = 64 * 1024;

    public string Name => "helperframes";

    public void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        RunAsync(input).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(byte[] input)
    {
        var helloOnly = input[0] == 0;
        var output = helloOnly
            ? new ScriptedOutput(input.AsMemory(1), ReadOnlyMemory<byte>.Empty, releaseAfter: 0)
            : new ScriptedOutput(HelloOk(), input.AsMemory(1), releaseAfter: 5);
        var options = new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(10), MaxEntries = 10_000, MaxQueuedEvents = 64 };
        HelperConnection connection;
        try
        {
            connection = await HelperConnection.OpenAsync(new RequestSink(output), output, "/pvc/workspace", owner: null, options, CancellationToken.None);
        }
        catch (Exception e) when (Typed(e))
        {
            return;
        }

        await using var client = new HelperClient(connection, options);
        var list = Guard(async () =>
        {
            foreach (var entry in await client.ListAsync(["src"], [], hash: true, CancellationToken.None))
            {
                CheckPath(entry.Path, "list");
                InvariantViolationException.Check(entry.Path == "src" || entry.Path.StartsWith("src/", StringComparison.Ordinal), $"helperframes: listed '{entry.Path}' outside 'src'");
            }
        });
        var read = Guard(async () =>
        {
            var destination = new MemoryStream();
            var info = await client.ReadAsync("src/a.txt", destination, ReadBound, CancellationToken.None);
            InvariantViolationException.Check(destination.Length <= ReadBound && info.Size == destination.Length, $"helperframes: read {destination.Length} bytes, announced {info.Size}");
        });
        var git = Guard(async () =>
        {
            var result = await client.GitAsync(["status"], ReadBound, CancellationToken.None);
            InvariantViolationException.Check(result.StandardOutput.Length <= ReadBound, "helperframes: git output over its bound");
        });
        var watch = Guard(async () =>
        {
            var seen = 0;
            await foreach (var change in client.WatchAsync([], CancellationToken.None))
            {
                if (change.Kind == HelperChangeKind.Overflow)
                {
                    InvariantViolationException.Check(change.Path.Length == 0, "helperframes: an overflow carries a path");
                }
                else
                {
                    CheckPath(change.Path, "watch");
                }
                if (++seen == 64) break;
            }
        });
        // No timer here: every answer is in the input and the stream ends after it, so a host that still waits hangs,
        // which afl reports as a hang and the harness's per-input time bound as a failure.
        await Task.WhenAll(list, read, git, watch);
    }

    private static async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (Exception e) when (Typed(e))
        {
            InvariantViolationException.Check(!e.Message.Any(char.IsControl), "helperframes: an error message carries control characters from the helper");
        }
    }

    private static bool Typed(Exception e) => e is UnsafeContentException or HelperChannelException or HelperOperationException;

    private static void CheckPath(string path, string what)
    {
        InvariantViolationException.Check(
            path.Length > 0 && !path.StartsWith('/') && !path.Any(char.IsControl)
            && !path.Split('/').Any(p => p is "" or "." or ".." || p.Equals(".git", StringComparison.OrdinalIgnoreCase)),
            $"helperframes: {what} let through the path '{path}'");
    }

    private static byte[] HelloOk()
    {
        var payload = new HelperPayloadWriter().U16(HelperWire.Version).String("fuzz").U32((uint)HelperWire.MaxFrame).Written.ToArray();
        var frame = new byte[9 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(payload.Length + 5));
        frame[4] = HelperWire.HelloOk;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), 1);
        payload.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>The helper's stdout: <c>first</c> at once, <c>rest</c> once the host has flushed that many requests, then the end.</summary>
    private sealed class ScriptedOutput(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> rest, int releaseAfter) : Stream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ReadOnlyMemory<byte> _current = first;
        private bool _restGiven;
        private int _flushes;

        public void RequestFlushed()
        {
            if (Interlocked.Increment(ref _flushes) >= releaseAfter) _released.TrySetResult();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_current.IsEmpty && !_restGiven && !rest.IsEmpty)
            {
                await _released.Task.WaitAsync(cancellationToken);
                (_current, _restGiven) = (rest, true);
            }

            var n = Math.Min(buffer.Length, _current.Length);
            _current[..n].CopyTo(buffer);
            _current = _current[n..];
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The helper's stdin: swallows requests and tells the output each time one is complete (flushed).</summary>
    private sealed class RequestSink(ScriptedOutput output) : Stream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            output.RequestFlushed();
            return Task.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Flush() => output.RequestFlushed();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
