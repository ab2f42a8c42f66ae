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

    private static readonly Lazy<Native> Api = new(Native.Load);
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

    /// <summary>The repository's <c>objects/pack</c> folder, where the pack lands.</summary>
    public string PackDirectory { get; }

    /// <summary>Bytes handed to the indexer so far.</summary>
    public long Received { get; private set; }

    /// <summary>Opens an indexer that writes into <paramref name="repo"/>'s <c>objects/pack</c> folder.</summary>
    public static PackIndexer Open(Repository repo)
    {
        var api = Api.Value;
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

        Check(Api.Value.Append(_indexer, ref buffer[offset], (nuint)count, _stats), "the pack from the session is invalid");
        Received += count;
    }

    /// <summary>Checks the pack (checksum, completeness) and moves it into place; returns the path of its index.</summary>
    public string Commit()
    {
        ObjectDisposedException.ThrowIf(_indexer == IntPtr.Zero, this);
        Check(Api.Value.Commit(_indexer, _stats), "the pack from the session is invalid");
        var name = Marshal.PtrToStringUTF8(Api.Value.Name(_indexer));
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
            Api.Value.IndexerFree(_indexer);
            _indexer = IntPtr.Zero;
            Api.Value.OdbFree(_odb);
            _odb = IntPtr.Zero;
            Marshal.FreeHGlobal(_stats);
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
            var detail = Api.Value.LastError();
            throw new SyncTransportException(detail.Length > 0 ? $"{what}: {detail}" : what);
        }
    }

    private sealed class Native
    {
        private Native(IntPtr lib)
        {
            OptionsInit = Get<OptionsInitFn>(lib, "git_indexer_options_init");
            OdbOpen = Get<OdbOpenFn>(lib, "git_odb_open");
            OdbFree = Get<FreeFn>(lib, "git_odb_free");
            IndexerNew = Get<IndexerNewFn>(lib, "git_indexer_new");
            Append = Get<AppendFn>(lib, "git_indexer_append");
            Commit = Get<CommitFn>(lib, "git_indexer_commit");
            IndexerFree = Get<FreeFn>(lib, "git_indexer_free");
            Name = Get<NameFn>(lib, "git_indexer_name");
            ErrorLast = Get<ErrorLastFn>(lib, "git_error_last");
        }

        public delegate int OptionsInitFn(IntPtr options, uint version);

        public delegate int OdbOpenFn(out IntPtr odb, [MarshalAs(UnmanagedType.LPUTF8Str)] string objectsDir);

        public delegate void FreeFn(IntPtr handle);

        public delegate int IndexerNewFn(out IntPtr indexer, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, IntPtr odb, IntPtr options);

        public delegate int AppendFn(IntPtr indexer, ref byte data, nuint size, IntPtr stats);

        public delegate int CommitFn(IntPtr indexer, IntPtr stats);

        public delegate IntPtr ErrorLastFn();

        public delegate IntPtr NameFn(IntPtr indexer);

        public OptionsInitFn OptionsInit { get; }

        public OdbOpenFn OdbOpen { get; }

        public FreeFn OdbFree { get; }

        public IndexerNewFn IndexerNew { get; }

        public AppendFn Append { get; }

        public CommitFn Commit { get; }

        public FreeFn IndexerFree { get; }

        public NameFn Name { get; }

        private ErrorLastFn ErrorLast { get; }

        /// <summary>libgit2's last error message on this thread (<c>git_error { char *message; int klass; }</c>).</summary>
        public string LastError()
        {
            var error = ErrorLast();
            return error == IntPtr.Zero ? string.Empty : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error)) ?? string.Empty;
        }

        public static Native Load()
        {
            // The library LibGit2Sharp itself loaded (and initialised: a Repository is always open before a fetch).
            if (!NativeLibrary.TryLoad(ExecTransport.NativeLibraryName, typeof(Repository).Assembly, null, out var lib))
            {
                throw new SyncTransportException($"The native libgit2 library '{ExecTransport.NativeLibraryName}' could not be loaded.");
            }

            return new Native(lib);
        }

        private static T Get<T>(IntPtr lib, string name)
            where T : Delegate =>
            NativeLibrary.TryGetExport(lib, name, out var address)
                ? Marshal.GetDelegateForFunctionPointer<T>(address)
                : throw new SyncTransportException($"The native libgit2 library has no '{name}'.");
    }
}
