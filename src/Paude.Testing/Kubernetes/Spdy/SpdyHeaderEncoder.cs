using System.Buffers.Binary;
using System.Text;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>Header blocks the server sends: the zlib header (preset dictionary) once, then one stored block per header block.</summary>
internal sealed class SpdyHeaderEncoder
{
    private bool started;

    public byte[] Encode(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(headers.Sum(h => h.Key.Length + h.Value.Length + 8), 16 * 1024, nameof(headers));
        var block = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)headers.Count);
        block.Write(word);
        foreach (var (name, value) in headers)
        {
            foreach (var text in (string[])[name, value])
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteUInt32BigEndian(word, (uint)bytes.Length);
                block.Write(word);
                block.Write(bytes);
            }
        }

        var plain = block.ToArray();
        var output = new MemoryStream();
        if (!started)
        {
            // CMF 0x78 (deflate, 32 KiB window), FLG 0xF9 (FDICT, best compression; 0x78F9 % 31 == 0), DICTID.
            output.Write([0x78, 0xF9]);
            BinaryPrimitives.WriteUInt32BigEndian(word, SpdyHeaderDecoder.DictionaryId);
            output.Write(word);
            started = true;
        }

        // Our blocks are a few bytes (SYN_REPLY carries none): one stored block each, its 16-bit length never exceeded,
        // then an empty stored block, as zlib's sync flush ends: Go's inflater hands out a stored block's bytes only
        // when it reaches the next block header, and must find it inside this frame, not past its end.
        Span<byte> stored = [0x00, (byte)plain.Length, (byte)(plain.Length >> 8), (byte)~plain.Length, (byte)(~plain.Length >> 8)];
        output.Write(stored);
        output.Write(plain);
        output.Write([0x00, 0x00, 0x00, 0xFF, 0xFF]);
        return output.ToArray();
    }
}
