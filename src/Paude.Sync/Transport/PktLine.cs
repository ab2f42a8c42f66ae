using System.Globalization;
using System.Text;

namespace Paude.Sync.Transport;

/// <summary>
/// git's pkt-line framing (<c>gitprotocol-common</c>): four hex digits of length (including themselves) and the
/// payload; <c>0000</c> flush, <c>0001</c> delimiter, <c>0002</c> response end. Everything read is untrusted: the
/// length is checked before anything is allocated or read.
/// </summary>
internal static class PktLine
{
    /// <summary>The largest payload git sends (65520 − 4).</summary>
    public const int MaxPayload = 65516;

    public const int Flush = -1;
    public const int Delimiter = -2;
    public const int ResponseEnd = -3;

    /// <summary>Appends one data line (<paramref name="text"/> is ASCII built by this code, never session data).</summary>
    public static void Append(MemoryStream request, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        request.Write(Encoding.ASCII.GetBytes((bytes.Length + 4).ToString("x4", CultureInfo.InvariantCulture)));
        request.Write(bytes);
    }

    public static void AppendFlush(MemoryStream request) => request.Write("0000"u8);

    public static void AppendDelimiter(MemoryStream request) => request.Write("0001"u8);

    /// <summary>
    /// Reads one pkt-line into <paramref name="buffer"/> (at least <see cref="MaxPayload"/> bytes); returns the payload
    /// length, or <see cref="Flush"/>/<see cref="Delimiter"/>/<see cref="ResponseEnd"/>.
    /// </summary>
    /// <exception cref="SyncTransportException">The stream ended early or the framing is invalid.</exception>
    public static async Task<int> ReadAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(stream, buffer, 4, cancellationToken).ConfigureAwait(false);
        var length = 0;
        for (var i = 0; i < 4; i++)
        {
            var digit = HexValue(buffer[i]);
            if (digit < 0)
            {
                throw new SyncTransportException($"The session's git sent an invalid pkt-line header '{Printable(buffer.AsSpan(0, 4))}'.");
            }

            length = (length << 4) | digit;
        }

        switch (length)
        {
            case 0:
                return Flush;
            case 1:
                return Delimiter;
            case 2:
                return ResponseEnd;
            case < 4 or > MaxPayload + 4:
                throw new SyncTransportException($"The session's git sent an invalid pkt-line length {length}.");
        }

        await ReadExactlyAsync(stream, buffer, length - 4, cancellationToken).ConfigureAwait(false);
        return length - 4;
    }

    /// <summary>A data line as text without its trailing newline.</summary>
    public static string Text(byte[] buffer, int length)
    {
        if (length > 0 && buffer[length - 1] == '\n')
        {
            length--;
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Session text made safe for an error message: control characters replaced, length bounded.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.Length > 300 ? bytes[..300] : bytes);
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            clean.Append(char.IsControl(c) ? '?' : c);
        }

        return clean.ToString().Trim('?', ' ');
    }

    private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < count)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, count - read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new SyncTransportException("The session closed the git connection early.");
            }

            read += n;
        }
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
