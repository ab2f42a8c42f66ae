using System.Buffers.Binary;
using Paude.Errors;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// Reads frames from the helper's stdout: <c>u32 length</c> (type + id + payload, at most
/// <see cref="HelperWire.MaxFrame"/>), <c>u8 type</c>, <c>u32 id</c>, payload. A length outside the bound is refused
/// before anything is allocated, so a hostile helper cannot make the host allocate or wait for a huge frame.
/// </summary>
internal sealed class HelperFrameReader(Stream input)
{
    private readonly byte[] _header = new byte[9];

    /// <summary>The next frame, or null when the helper's output ended cleanly between frames.</summary>
    public async ValueTask<HelperFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(_header.AsMemory(0, 4), allowEnd: true, cancellationToken).ConfigureAwait(false)) return null;
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (length < 5 || length > HelperWire.MaxFrame)
            throw new UnsafeContentException("session helper", $"announced a frame of {length} bytes (allowed 5..{HelperWire.MaxFrame})");
        await FillAsync(_header.AsMemory(4, 5), allowEnd: false, cancellationToken).ConfigureAwait(false);
        var payload = new byte[length - 5];
        await FillAsync(payload, allowEnd: false, cancellationToken).ConfigureAwait(false);
        return new HelperFrame(_header[4], BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(5)), payload);
    }

    private async ValueTask<bool> FillAsync(Memory<byte> buffer, bool allowEnd, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await input.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (allowEnd && total == 0) return false;
                throw new UnsafeContentException("session helper", "ended its output inside a frame");
            }
            total += n;
        }
        return true;
    }
}
