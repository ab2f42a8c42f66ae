using System.Buffers.Binary;
using LibGit2Sharp;

namespace Paude.Sync.Transport;

/// <summary>
/// The connectivity check of a pack that came from a session (what <c>git fetch</c> does with
/// <c>rev-list --objects --stdin --not --all</c>): every object a commit, tree or tag in the pack refers to is in
/// the pack or already in the local repository. Without it a session could make a local ref point at a commit whose
/// tree or parents do not exist, and the repository would be broken for every later command.
/// </summary>
internal static class PackConnectivity
{
    private const int MaxIndexBytes = 1 << 30;

    /// <summary>Throws when an object of the pack behind <paramref name="indexPath"/> refers to a missing object.</summary>
    /// <exception cref="SyncTransportException">The pack is incomplete.</exception>
    public static void Verify(Repository repo, string indexPath)
    {
        var inPack = ReadIndex(indexPath);
        var odb = repo.ObjectDatabase;
        bool Present(ObjectId id) => inPack.Contains(id) || odb.Contains(id);

        foreach (var id in inPack)
        {
            switch (repo.Lookup(id))
            {
                case Commit commit:
                    Require(Present(commit.Tree.Id), commit.Tree.Id, id);
                    foreach (var parent in commit.Parents)
                    {
                        Require(Present(parent.Id), parent.Id, id);
                    }

                    break;
                case Tree tree:
                    foreach (var entry in tree)
                    {
                        // Submodule commits (gitlinks) live in another repository.
                        if (entry.TargetType != TreeEntryTargetType.GitLink)
                        {
                            Require(Present(entry.Target.Id), entry.Target.Id, id);
                        }
                    }

                    break;
                case TagAnnotation tag:
                    Require(Present(tag.Target.Id), tag.Target.Id, id);
                    break;
                case Blob:
                    break;
                default:
                    throw new SyncTransportException($"The pack from the session lists object {id.Sha} that cannot be read.");
            }
        }
    }

    /// <summary>The object ids of a version 2 pack index (written by libgit2 just now, read with bounds anyway).</summary>
    internal static HashSet<ObjectId> ReadIndex(string indexPath)
    {
        var bytes = File.ReadAllBytes(indexPath);
        if (bytes.Length < 8 + 1024 || bytes.Length > MaxIndexBytes || BinaryPrimitives.ReadUInt32BigEndian(bytes) != 0xff744f63 || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)) != 2)
        {
            throw new SyncTransportException($"The pack index '{indexPath}' is not a version 2 index.");
        }

        var count = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8 + (255 * 4)));
        var start = 8 + 1024;
        if (count < 0 || start + ((long)count * 20) > bytes.Length)
        {
            throw new SyncTransportException($"The pack index '{indexPath}' is truncated.");
        }

        var ids = new HashSet<ObjectId>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(new ObjectId(bytes.AsSpan(start + (i * 20), 20).ToArray()));
        }

        return ids;
    }

    private static void Require(bool present, ObjectId missing, ObjectId referrer)
    {
        if (!present)
        {
            throw new SyncTransportException($"The pack from the session is incomplete: object {referrer.Sha} refers to {missing.Sha}, which neither the pack nor the local repository has; nothing was written.");
        }
    }
}
