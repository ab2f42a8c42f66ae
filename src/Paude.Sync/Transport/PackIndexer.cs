using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace Paude.Sync.Transport;

/// <summary>
/// Streams a pack received from a session into the local repository with libgit2's own indexer
/// (<c>git_indexer_*</c>, the code <c>git fetch</c>'s libgit2 equivalent uses), called directly because
/// LibGit2Sharp exposes no pack writer.
/// </summary>
/// <remarks>
/// Safety of untrusted packs: the indexer computes every object id from the content (a session cannot make an
/// object claim another id), checks the trailing checksum, resolves thin-pack bases only from the local object
/// database; <see cref="PackConnectivity"/> then refuses a pack whose objects reference objects that exist neither in
/// the pack nor locally (a session cannot make a ref point at an incomplete history). The pack is written to a
/// temporary file and renamed to <c>pack-&lt;hash&gt;.pack</c> + <c>.idx</c> only by <see cref="Commit"/>;
/// disposing without commit deletes the temporary file, so a refused or interrupted pack changes nothing.
/// </remarks>
internal sealed class PackIndexer : IDisposable
{
    // struct git_indexer_options (libgit2 1.8, SHA-1 build): version, progress_cb, payload, verify → 32 bytes.
    // Its own connectivity check (verify) is left off: it looks every referenced object up in the object database,
    // and each one that is in the new pack is a miss that rescans objects/ (160 ms for 600 objects, measured);
    // PackConnectivity does the same check against the pack's index.
    private const int OptionsSize = 32;

    // struct git_indexer_progress: 6 × unsigned int + size_t → 32 bytes; 64 leaves room.
    private const int StatsSize = 64;

    private readonly IntPtr _stats;
    private IntPtr _odb;
    private IntPtr _indexer;

    private PackIndexer(IntPtr odb, IntPtr indexer, IntPtr stats, string packDirectory)
    {
        PackDirectory = packDirectory;
        _odb = odb;
        _indexer = indexer;
        _stats = stats;
    }

    private static LibGit2Native Api => LibGit2Native.Instance;

    /// <summary>The repository's <c>objects/pack</c> folder, where the pack lands.</summary>
    public string PackDirectory { get; }

    /// <summary>Bytes handed to the indexer so far.</summary>
    public long Received { get; private set; }

    /// <summary>Opens an indexer that writes into <paramref name="repo"/>'s <c>objects/pack</c> folder.</summary>
    public static PackIndexer Open(Repository repo)
    {
        var api = Api;
        var objects = ObjectsDirectory(repo);
        var options = Marshal.AllocHGlobal(OptionsSize);
        var stats = Marshal.AllocHGlobal(StatsSize);
        var odb = IntPtr.Zero;
        try
        {
            Check(api.OptionsInit(options, 1), "git_indexer_options_init");
            Check(api.OdbOpen(out odb, objects), "git_odb_open");
            var packDirectory = Path.Combine(objects, "pack");
            Directory.CreateDirectory(packDirectory);
            Check(api.IndexerNew(out var indexer, packDirectory, 0, odb, options), "git_indexer_new");
            return new PackIndexer(odb, indexer, stats, packDirectory);
        }
        catch
        {
            if (odb != IntPtr.Zero)
            {
                api.OdbFree(odb);
            }

            Marshal.FreeHGlobal(stats);
            throw;
        }
        finally
        {
            Marshal.FreeHGlobal(options);
        }
    }

    /// <summary>Feeds pack bytes; a malformed pack fails here or in <see cref="Commit"/>.</summary>
    public void Append(byte[] buffer, int offset, int count)
    {
        ObjectDisposedException.ThrowIf(_indexer == IntPtr.Zero, this);
        if (count == 0)
        {
            return;
        }

        Check(Api.Append(_indexer, ref buffer[offset], (nuint)count, _stats), "the pack from the session is invalid");
        Received += count;
    }

    /// <summary>Checks the pack (checksum, completeness) and moves it into place; returns the path of its index.</summary>
    public string Commit()
    {
        ObjectDisposedException.ThrowIf(_indexer == IntPtr.Zero, this);
        Check(Api.Commit(_indexer, _stats), "the pack from the session is invalid");
        var name = Marshal.PtrToStringUTF8(Api.Name(_indexer));
        if (name is null || name.Length != 40 || !name.All(char.IsAsciiHexDigitLower))
        {
            throw new SyncTransportException("libgit2 did not name the pack it indexed.");
        }

        return Path.Combine(PackDirectory, $"pack-{name}.idx");
    }

    public void Dispose()
    {
        if (_indexer != IntPtr.Zero)
        {
            Api.IndexerFree(_indexer);
            _indexer = IntPtr.Zero;
            Api.OdbFree(_odb);
            _odb = IntPtr.Zero;
            Marshal.FreeHGlobal(_stats);
        }
    }

    /// <summary>
    /// The connectivity check of the committed pack (see <see cref="PackConnectivity"/>); on failure the pack is removed
    /// again unless an identical one was already there (<paramref name="existed"/>).
    /// </summary>
    public void VerifyConnectivity(string indexPath, bool existed)
    {
        ObjectDisposedException.ThrowIf(_indexer == IntPtr.Zero, this);
        try
        {
            Check(Api.OdbRefresh(_odb), "git_odb_refresh");
            PackConnectivity.Verify(Api, _odb, indexPath);
        }
        catch (SyncTransportException)
        {
            if (!existed)
            {
                foreach (var extension in new[] { ".pack", ".idx", ".rev" })
                {
                    File.Delete(Path.ChangeExtension(indexPath, extension));
                }
            }

            throw;
        }
    }

    /// <summary>The object folder, shared by all worktrees (<c>commondir</c>).</summary>
    private static string ObjectsDirectory(Repository repo)
    {
        var gitDir = Path.TrimEndingDirectorySeparator(repo.Info.Path);
        var common = Path.Combine(gitDir, "commondir");
        if (File.Exists(common))
        {
            gitDir = Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(common).Trim()));
        }

        return Path.Combine(gitDir, "objects");
    }

    private static void Check(int code, string what)
    {
        if (code < 0)
        {
            var detail = Api.LastError();
            throw new SyncTransportException(detail.Length > 0 ? $"{what}: {detail}" : what);
        }
    }
}
