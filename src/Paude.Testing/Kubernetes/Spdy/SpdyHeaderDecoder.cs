using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// SPDY/3 header blocks of one connection and direction. A block is <c>count</c> then <c>count</c> × (name, value),
/// each a 32-bit big-endian length and bytes (several values of one name joined by NUL). Each direction's blocks are
/// one zlib stream for the whole connection, preset with <see cref="SpdyDictionary"/> and sync-flushed after each
/// block, so the decoder keeps its state from frame to frame and a block it cannot read breaks the connection.
/// </summary>
/// <remarks>
/// <see cref="DeflateStream"/> takes no preset dictionary, so the decoder starts its raw inflater with a stored block
/// holding the dictionary (output it skips): the client's back-references into the dictionary then resolve from the
/// window exactly as with a preset one. The encoder answers with stored (uncompressed) blocks, which every inflater
/// reads whatever its dictionary.
/// </remarks>
internal sealed class SpdyHeaderDecoder : IDisposable
{
    /// <summary>adler32 of <see cref="SpdyDictionary"/>: the DICTID of a zlib header that presets it.</summary>
    public const uint DictionaryId = 0xE3C6A7C2;

    /// <summary>More than any real client sends (kubectl's are ~100 bytes); a larger block is refused, not inflated.</summary>
    public const int MaxBlockBytes = 64 * 1024;

    private const int MaxHeaders = 128;

    private readonly FeedStream input = new();
    private readonly DeflateStream inflater;
    private bool started;

    public SpdyHeaderDecoder()
    {
        inflater = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <summary>Decodes the next block from its compressed bytes (the rest of a SYN_STREAM, SYN_REPLY or HEADERS frame).</summary>
    /// <exception cref="SpdyProtocolException">The bytes are no header block: the connection's zlib state is lost.</exception>
    public Dictionary<string, string[]> Decode(ReadOnlySpan<byte> compressed)
    {
        try
        {
            if (!started)
            {
                compressed = StartStream(compressed);
                started = true;
            }

            input.Feed(compressed);
            var budget = MaxBlockBytes;
            var count = ReadLength(ref budget);
            if (count > MaxHeaders)
            {
                throw new SpdyProtocolException($"header block with {count} headers (at most {MaxHeaders})");
            }

            var headers = new Dictionary<string, string[]>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var name = ReadString(ref budget);
                var value = ReadString(ref budget);
                if (name.Length == 0 || !name.Equals(name.ToLowerInvariant(), StringComparison.Ordinal))
                {
                    throw new SpdyProtocolException("header name empty or not lower case");
                }

                if (!headers.TryAdd(name, value.Split('\0')))
                {
                    throw new SpdyProtocolException($"header \"{name}\" twice in one block");
                }
            }

            // What the frame held must be exactly this block: more output now means a longer block than announced.
            Span<byte> extra = stackalloc byte[1];
            if (inflater.Read(extra) != 0 || input.Remaining != 0)
            {
                throw new SpdyProtocolException("header block shorter than its compressed bytes");
            }

            return headers;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new SpdyProtocolException("header block does not inflate: " + e.Message);
        }
    }

    public void Dispose() => inflater.Dispose();

    /// <summary>Checks the zlib header (deflate, the SPDY dictionary) and primes the window with the dictionary.</summary>
    private ReadOnlySpan<byte> StartStream(ReadOnlySpan<byte> compressed)
    {
        if (compressed.Length < 6 || (compressed[0] & 0x0F) != 8 || ((compressed[0] << 8) | compressed[1]) % 31 != 0
            || (compressed[1] & 0x20) == 0 || BinaryPrimitives.ReadUInt32BigEndian(compressed[2..]) != DictionaryId)
        {
            throw new SpdyProtocolException("header block is not a zlib stream preset with the SPDY/3 dictionary");
        }

        var dictionary = SpdyDictionary.Bytes;
        var primer = new byte[5 + dictionary.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(primer.AsSpan(1), (ushort)dictionary.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(primer.AsSpan(3), (ushort)~dictionary.Length);
        dictionary.CopyTo(primer.AsSpan(5));
        input.Feed(primer);
        inflater.ReadExactly(new byte[dictionary.Length]);
        return compressed[6..];
    }

    private uint ReadLength(ref int budget)
    {
        Span<byte> word = stackalloc byte[4];
        Take(word, ref budget);
        return BinaryPrimitives.ReadUInt32BigEndian(word);
    }

    private string ReadString(ref int budget)
    {
        var length = ReadLength(ref budget);
        if (length > (uint)budget)
        {
            throw new SpdyProtocolException($"header block longer than {MaxBlockBytes} bytes");
        }

        var bytes = new byte[length];
        Take(bytes, ref budget);
        return Encoding.UTF8.GetString(bytes);
    }

    private void Take(Span<byte> into, ref int budget)
    {
        budget -= into.Length;
        if (budget < 0)
        {
            throw new SpdyProtocolException($"header block longer than {MaxBlockBytes} bytes");
        }

        inflater.ReadExactly(into);
    }

    /// <summary>The compressed bytes fed so far and not yet taken by the inflater; empty reads end the inflater's read.</summary>
    private sealed class FeedStream : Stream
    {
        private byte[] buffer = [];
        private int offset;

        public int Remaining => buffer.Length - offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Feed(ReadOnlySpan<byte> bytes)
        {
            buffer = [.. buffer.AsSpan(offset), .. bytes];
            offset = 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            var n = Math.Min(destination.Length, Remaining);
            buffer.AsSpan(offset, n).CopyTo(destination);
            offset += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
