using Paude.Sync;
using Paude.Sync.Transport;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="PktLine.ReadAsync"/> over a whole answer from the session's git. Promises: only
/// <see cref="SyncTransportException"/>; every length returned is a special packet or fits the buffer; the reader never
/// consumes more than the stream holds; <see cref="PktLine.Printable"/> output has no control characters.
/// </summary>
public sealed class PktLineTarget : IFuzzTarget
{
    public string Name => "pktline";

    public void Run(byte[] input)
    {
        using var stream = new MemoryStream(input, writable: false);
        var buffer = new byte[PktLine.MaxPayload];
        try
        {
            while (stream.Position < stream.Length)
            {
                var before = stream.Position;
                var length = PktLine.ReadAsync(stream, buffer, CancellationToken.None).GetAwaiter().GetResult();
                InvariantViolationException.Check(length is PktLine.Flush or PktLine.Delimiter or PktLine.ResponseEnd or >= 0 and <= PktLine.MaxPayload, $"pktline: length {length}");
                var consumed = stream.Position - before;
                InvariantViolationException.Check(consumed == 4 + Math.Max(length, 0), $"pktline: consumed {consumed} bytes for length {length}");
                if (length > 0)
                {
                    _ = PktLine.Text(buffer, length);
                    InvariantViolationException.Check(!PktLine.Printable(buffer.AsSpan(0, length)).Any(char.IsControl), "pktline: Printable kept a control character");
                }
            }
        }
        catch (SyncTransportException e)
        {
            InvariantViolationException.Check(!e.Message.Any(char.IsControl), "pktline: an error message carries control characters from the session");
        }
    }
}
