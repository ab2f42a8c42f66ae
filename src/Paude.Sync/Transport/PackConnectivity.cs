using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Paude.Sync.Transport;

/// <summary>
/// The connectivity check of a pack that came from a session (what <c>git fetch</c> does with
/// <c>rev-list --objects --stdin --not --all</c>): every object a commit, tree or tag in the pack refers to is in
/// the pack or already in the local repository. Without it a session could make a local ref point at a commit whose
/// tree or parents do not exist, and the repository would be broken for every later command.
/// </summary>
/// <remarks>
/// Raw libgit2 reads and a small parser instead of LibGit2Sharp objects: this runs on every object of every fetch
/// (600 for 200 commits), and LibGit2Sharp's per-object and per-tree-entry wrappers cost several times more.
/// The bytes are untrusted (only their hash is known to match): every length is checked.
/// </remarks>
internal static class PackConnectivity
{
    private const int MaxIndexBytes = 1 << 30;
    private const int Commit = 1;
    private const int Tree = 2;
    private const int Blob = 3;
    private const int Tag = 4;

    /// <summary>Throws when an object of the pack behind <paramref name="indexPath"/> refers to a missing object.</summary>
    /// <exception cref="SyncTransportException">The pack is incomplete or holds an unreadable object.</exception>
    public static void Verify(LibGit2Native api, IntPtr odb, string indexPath)
    {
        var inPack = ReadIndex(indexPath);
        foreach (var key in inPack)
        {
            var id = Convert.FromHexString(key);
            if (api.OdbReadHeader(out _, out var type, odb, id) < 0)
            {
                throw Unreadable(key);
            }

            if (type == Blob)
            {
                continue;
            }

            if (api.OdbRead(out var obj, odb, id) < 0)
            {
                throw Unreadable(key);
            }

            byte[] data;
            try
            {
                data = new byte[checked((int)api.ObjectSize(obj))];
                Marshal.Copy(api.ObjectData(obj), data, 0, data.Length);
            }
            finally
            {
                api.ObjectFree(obj);
            }

            var references = type switch
            {
                Commit => HeaderIds(data, "tree ", "parent "),
                Tag => HeaderIds(data, "object ", null),
                Tree => TreeIds(data),
                _ => throw Unreadable(key),
            } ?? throw Unreadable(key);
            foreach (var reference in references)
            {
                if (!inPack.Contains(reference) && api.OdbExists(odb, Convert.FromHexString(reference)) != 1)
                {
                    throw new SyncTransportException($"The pack from the session is incomplete: object {key} refers to {reference}, which neither the pack nor the local repository has; nothing was written.");
                }
            }
        }
    }

    /// <summary>The object ids (lower-case hex) of a version 2 pack index.</summary>
    internal static HashSet<string> ReadIndex(string indexPath)
    {
        var bytes = File.ReadAllBytes(indexPath);
        if (bytes.Length < 8 + 1024 || bytes.Length > MaxIndexBytes || BinaryPrimitives.ReadUInt32BigEndian(bytes) != 0xff744f63 || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)) != 2)
        {
            throw new SyncTransportException($"The pack index '{indexPath}' is not a version 2 index.");
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8 + (255 * 4)));
        const int Start = 8 + 1024;
        if (Start + ((long)count * 20) > bytes.Length)
        {
            throw new SyncTransportException($"The pack index '{indexPath}' is truncated.");
        }

        var ids = new HashSet<string>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            ids.Add(Convert.ToHexStringLower(bytes, Start + (i * 20), 20));
        }

        return ids;
    }

    /// <summary>The ids in a commit's or tag's header lines (<c>tree</c>/<c>parent</c>, <c>object</c>); <c>null</c> when malformed.</summary>
    private static List<string>? HeaderIds(byte[] data, string first, string? repeated)
    {
        var ids = new List<string>();
        var position = 0;
        var expectFirst = true;
        while (position < data.Length && data[position] != '\n')
        {
            var end = Array.IndexOf(data, (byte)'\n', position);
            if (end < 0)
            {
                return null;
            }

            var line = System.Text.Encoding.ASCII.GetString(data, position, end - position);
            var prefix = expectFirst ? first : repeated;
            if (prefix is not null && line.StartsWith(prefix, StringComparison.Ordinal))
            {
                var hex = line[prefix.Length..];
                if (!IsObjectId(hex))
                {
                    return null;
                }

                ids.Add(hex);
                expectFirst = false;
            }
            else if (expectFirst)
            {
                return null;
            }
            else
            {
                break;
            }

            position = end + 1;
        }

        return expectFirst ? null : ids;
    }

    /// <summary>The ids of a tree's entries (<c>&lt;mode&gt; &lt;name&gt;\0&lt;20 bytes&gt;</c>), gitlinks excluded; <c>null</c> when malformed.</summary>
    private static List<string>? TreeIds(byte[] data)
    {
        var ids = new List<string>();
        var position = 0;
        while (position < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', position);
            var nul = space < 0 ? -1 : Array.IndexOf(data, (byte)0, space);
            if (space <= position || nul < 0 || nul + 21 > data.Length)
            {
                return null;
            }

            // Submodule commits (mode 160000) live in another repository.
            if (!data.AsSpan(position, space - position).SequenceEqual("160000"u8))
            {
                ids.Add(Convert.ToHexStringLower(data, nul + 1, 20));
            }

            position = nul + 21;
        }

        return ids;
    }

    private static bool IsObjectId(string text) =>
        text.Length == 40 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static SyncTransportException Unreadable(string id) =>
        new($"The pack from the session holds object {id}, which cannot be read or parsed; nothing was written.");
}
