using System.Buffers.Binary;
using System.Security.Cryptography;
using Paude.Backends.OpenShift.Credentials;
using Paude.Credentials;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="CredentialParts.ReassembleAsync"/> with parts and a manifest read back from a cluster (Secrets anyone
/// with access to the namespace can edit). Input: a part count byte, then per part a 2-byte declared size and a
/// 2-byte actual length with its bytes; a flag byte decides whether hashes and the total size are the true ones (to reach
/// the success path) or taken from the input. Promises: only <see cref="CredentialPartsException"/>; on success the output is
/// exactly the parts joined, and a declared size (of a part or of the whole) or hash that does not match is always refused.
/// </summary>
public sealed class CredentialPartsTarget : IFuzzTarget
{
    public string Name => "credparts";

    public void Run(byte[] input)
    {
        var reader = new Reader(input);
        var count = reader.Byte() % 8;
        var honest = reader.Byte();
        var parts = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var infos = new List<CredentialPartInfo>();
        var all = new List<byte>();
        var truthful = true;
        for (var i = 0; i < count; i++)
        {
            var declared = reader.UInt16();
            var data = reader.Bytes(reader.UInt16());
            var name = (honest & 2) != 0 && i == 1 ? CredentialParts.PartName(0) : CredentialParts.PartName(i);
            var hash = (honest & 1) != 0 ? Convert.ToHexStringLower(SHA256.HashData(data)) : Convert.ToHexStringLower(reader.Bytes(32));
            var size = (honest & 4) != 0 ? data.Length : declared;
            truthful &= size == data.Length && hash == Convert.ToHexStringLower(SHA256.HashData(data));
            parts.TryAdd(name, data);
            truthful &= parts[name].AsSpan().SequenceEqual(data);
            infos.Add(new CredentialPartInfo(name, size, hash));
            all.AddRange(data);
        }

        var wholeHash = (honest & 8) != 0 ? Convert.ToHexStringLower(SHA256.HashData(all.ToArray())) : Convert.ToHexStringLower(reader.Bytes(32));
        truthful &= wholeHash == Convert.ToHexStringLower(SHA256.HashData(all.ToArray()));
        var totalSize = (honest & 16) != 0 ? all.Count : all.Count + reader.Byte() - 128;
        truthful &= totalSize == all.Count;
        var manifest = new CredentialPartsManifest(infos, totalSize, wholeHash);
        using var output = new MemoryStream();
        try
        {
            CredentialParts.ReassembleAsync(manifest, n => parts.TryGetValue(n, out var d) ? new MemoryStream(d, writable: false) : null, output).GetAwaiter().GetResult();
            InvariantViolationException.Check(truthful, "credparts: a manifest that does not match its parts was accepted");
            InvariantViolationException.Check(output.ToArray().AsSpan().SequenceEqual(all.ToArray()), "credparts: the output is not the parts joined");
        }
        catch (CredentialPartsException)
        {
            InvariantViolationException.Check(!truthful, "credparts: a manifest that matches its parts was refused");
        }
    }

    /// <summary>Reads the input; past its end every read gives zeros.</summary>
    private sealed class Reader(byte[] input)
    {
        private int _position;

        public int Byte() => _position < input.Length ? input[_position++] : 0;

        public int UInt16() => (Byte() << 8) | Byte();

        public byte[] Bytes(int count)
        {
            var take = Math.Clamp(input.Length - _position, 0, count);
            var result = new byte[count];
            input.AsSpan(_position, take).CopyTo(result);
            _position += take;
            return result;
        }
    }
}
