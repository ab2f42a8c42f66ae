using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>The WebSocket side of exec: output channels out, stdin/close/resize channels in.</summary>
internal sealed partial class PodIo
{
    /// <summary>The resize channel's <c>{"Width":..,"Height":..}</c>; anything else is ignored like the kubelet ignores it.</summary>
    private static (int Width, int Height)? TerminalSize(ReadOnlySpan<byte> json)
    {
        try
        {
            var size = JsonNode.Parse(json) as JsonObject;
            return size?["Width"] is JsonValue w && size["Height"] is JsonValue h && w.TryGetValue<int>(out var width) && h.TryGetValue<int>(out var height)
                ? (width, height)
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task PumpAsync(Stream from, byte channel, WebSocket socket, SemaphoreSlim sendLock, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer.AsMemory(1, buffer.Length - 1), ct).ConfigureAwait(false)) > 0)
        {
            buffer[0] = channel;
            await SendRawAsync(socket, sendLock, buffer.AsMemory(0, n + 1), ct).ConfigureAwait(false);
        }
    }

    private static async Task SendAsync(WebSocket socket, SemaphoreSlim sendLock, byte channel, byte[] payload, CancellationToken ct)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame, 1);
        await SendRawAsync(socket, sendLock, frame, ct).ConfigureAwait(false);
    }

    private static async Task SendRawAsync(WebSocket socket, SemaphoreSlim sendLock, ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, ct).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>Channel 0 → stdin; v5 channel 255 → close stdin; channel 4 → terminal resize (TTY only); a client close kills the command.</summary>
    private static async Task ReceiveAsync(WebSocket socket, Process process, bool stdin, bool v5, ExecTerminal? terminal, CancellationTokenSource abort)
    {
        var ct = abort.Token;
        // Large enough to take a whole client frame in one receive: with a 64 KiB buffer, 64 KiB + 1 byte stdin
        // frames (split into 65,535 + 1 byte writes) corrupted a 50 MiB upload, reproducibly, while whole-frame
        // receives never did. The cause below this loop was not pinned down; frames up to 1 MiB now arrive whole.
        var buffer = new byte[1024 * 1024];
        var message = new MemoryStream();
        var stdinStream = stdin ? process.StandardInput.BaseStream : null;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!process.HasExited)
                    {
                        await abort.CancelAsync().ConfigureAwait(false);
                    }

                    return;
                }

                // Stdin frames are streamed straight through, even when the client fragments them. A command that
                // closed its stdin (or ended) takes no more; it keeps running and its output keeps flowing.
                if (message.Length == 0 && result.Count > 0 && buffer[0] == 0 && stdinStream is not null)
                {
                    stdinStream = await WriteStdinAsync(stdinStream, buffer.AsMemory(1, result.Count - 1), ct).ConfigureAwait(false);
                    while (!result.EndOfMessage)
                    {
                        result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                        stdinStream = await WriteStdinAsync(stdinStream, buffer.AsMemory(0, result.Count), ct).ConfigureAwait(false);
                    }

                    stdinStream = await WriteStdinAsync(stdinStream, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                    continue;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var frame = message.ToArray();
                message.SetLength(0);
                if (v5 && frame.Length >= 2 && frame[0] == 255 && frame[1] == 0 && stdinStream is not null)
                {
                    stdinStream.Close();
                    stdinStream = null;
                }
                else if (frame.Length > 1 && frame[0] == 4 && terminal is not null && TerminalSize(frame.AsSpan(1)) is { } size)
                {
                    await terminal.ResizeAsync(size.Width, size.Height, ct).ConfigureAwait(false);
                }
            }

            // Left when the server closed after the command's end, or by an aborted socket (no answer to the pings).
            if (socket.State == WebSocketState.Aborted && !process.HasExited)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The client went away without a close: a dropped connection, or no answer to the keep-alive pings. The
            // command must not outlive it (it used to run on until it ended by itself, a `sleep 600` for 10 minutes).
            if (!ct.IsCancellationRequested)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes (with nothing to write: flushes) to the command's stdin; <see langword="null"/> once it takes no more.</summary>
    private static async Task<Stream?> WriteStdinAsync(Stream? stdin, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (stdin is null)
        {
            return null;
        }

        try
        {
            if (data.IsEmpty)
            {
                await stdin.FlushAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await stdin.WriteAsync(data, ct).ConfigureAwait(false);
            }

            return stdin;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return null;
        }
    }
}
