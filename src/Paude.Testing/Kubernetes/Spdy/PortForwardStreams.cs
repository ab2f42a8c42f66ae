using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// The <c>portforward.k8s.io</c> protocol on a SPDY session, as the kubelet's <c>httpstream.go</c> serves it: every
/// stream names a <c>port</c> (1–65535) and a <c>streamType</c> (<c>error</c> or <c>data</c>); a stream missing either
/// is refused. Streams pair by their <c>requestID</c> header (without one, as for old clients, the error stream's id
/// or the data stream's id − 2); once a pair is whole, <c>forward</c> connects its data stream to the port and what it
/// reports goes to the error stream, then both close. A pair left half for <see cref="PairTimeout"/> is told so on
/// its error stream and dropped.
/// </summary>
internal sealed class PortForwardStreams(
    SpdyConnection connection,
    Func<int, SpdyStream, CancellationToken, Task<string?>> forward,
    TimeSpan pairTimeout,
    CancellationToken ct) : ISpdyStreamHandler
{
    public const string PortHeader = "port";
    public const string StreamTypeHeader = "streamtype";
    public const string RequestIdHeader = "requestid";

    /// <summary>The kubelet's default <c>streamCreationTimeout</c>.</summary>
    public static readonly TimeSpan DefaultPairTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, Pair> pairs = new(StringComparer.Ordinal);
    private readonly List<Task> running = [];

    public TimeSpan PairTimeout => pairTimeout;

    public string? Check(SpdyStream stream)
    {
        var port = stream.Header(PortHeader);
        if (port.Length == 0)
        {
            return "\"port\" header is required";
        }

        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return $"unable to parse \"{port}\" as a port";
        }

        return stream.Header(StreamTypeHeader) is "error" or "data" ? null : $"invalid stream type \"{stream.Header(StreamTypeHeader)}\"";
    }

    public void Opened(SpdyStream stream)
    {
        var isError = stream.Header(StreamTypeHeader) == "error";
        var requestId = stream.Header(RequestIdHeader);
        if (requestId.Length == 0)
        {
            requestId = (isError ? stream.Id : stream.Id - 2).ToString(CultureInfo.InvariantCulture);
        }

        Pair pair;
        bool created, complete;
        string? refusal = null;
        lock (pairs)
        {
            created = !pairs.TryGetValue(requestId, out pair!);
            if (created)
            {
                pair = new Pair(requestId);
                pairs[requestId] = pair;
            }

            if ((isError ? pair.Error : pair.Data) is not null)
            {
                refusal = $"error processing stream for request {requestId}: {(isError ? "error" : "data")} stream already assigned";
            }
            else if (isError)
            {
                pair.Error = stream;
            }
            else
            {
                pair.Data = stream;
            }

            complete = refusal is null && pair is { Error: not null, Data: not null };
            if (complete)
            {
                pairs.Remove(requestId);
            }
        }

        if (refusal is not null)
        {
            Track(RefuseAsync(pair, stream, refusal));
        }
        else if (complete)
        {
            pair.Completed.TrySetResult();
            Track(ForwardAsync(pair));
        }
        else if (created)
        {
            Track(MonitorAsync(pair));
        }
    }

    /// <summary>Waits for every pair's forward, monitor and refusal to end (cancel the session's token first to hurry them).</summary>
    public async Task WhenIdleAsync()
    {
        Task[] tasks;
        lock (running)
        {
            tasks = [.. running];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private void Track(Task task)
    {
        lock (running)
        {
            running.RemoveAll(t => t.IsCompleted);
            running.Add(task);
        }
    }

    private async Task ForwardAsync(Pair pair)
    {
        var data = pair.Data!;
        var error = pair.Error!;
        try
        {
            var port = int.Parse(data.Header(PortHeader), CultureInfo.InvariantCulture);
            var failure = await forward(port, data, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes(failure), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsGone(e))
        {
            // The client or its stream went away.
        }
        finally
        {
            await CloseAsync(error).ConfigureAwait(false);
            await CloseAsync(data).ConfigureAwait(false);
        }
    }

    private async Task MonitorAsync(Pair pair)
    {
        try
        {
            await pair.Completed.Task.WaitAsync(pairTimeout, ct).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (pairs)
        {
            if (pair.Completed.Task.IsCompleted || !pairs.Remove(pair.RequestId))
            {
                return;
            }
        }

        await PrintErrorAsync(pair, $"timed out waiting for streams of request {pair.RequestId}").ConfigureAwait(false);
        if (pair.Error is { } error)
        {
            await CloseAsync(error).ConfigureAwait(false);
        }

        if (pair.Data is { } data)
        {
            await connection.ResetAsync(data, SpdyResetStatus.Cancel, ct).ConfigureAwait(false);
        }
    }

    private async Task RefuseAsync(Pair pair, SpdyStream duplicate, string message)
    {
        await PrintErrorAsync(pair, message).ConfigureAwait(false);
        await connection.ResetAsync(duplicate, SpdyResetStatus.Cancel, ct).ConfigureAwait(false);
    }

    /// <summary>The kubelet's <c>printError</c>: the message on the pair's error stream, if it has one.</summary>
    private async Task PrintErrorAsync(Pair pair, string message)
    {
        try
        {
            if (pair.Error is { } error)
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes(message), ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsGone(e))
        {
            // Nobody to tell.
        }
    }

    private async Task CloseAsync(SpdyStream stream)
    {
        try
        {
            await stream.CloseAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsGone(e))
        {
            // Already gone.
        }
    }

    private static bool IsGone(Exception e) => e is IOException or WebSocketException or OperationCanceledException or ObjectDisposedException;

    private sealed class Pair(string requestId)
    {
        public string RequestId { get; } = requestId;

        public SpdyStream? Error { get; set; }

        public SpdyStream? Data { get; set; }

        public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
