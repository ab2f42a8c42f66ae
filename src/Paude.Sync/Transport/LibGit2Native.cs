using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace Paude.Sync.Transport;

/// <summary>
/// The few libgit2 functions LibGit2Sharp does not expose (pack indexer, raw object database reads), bound from
/// the native library LibGit2Sharp ships and loads. Signatures are libgit2 1.8's, SHA-1 build
/// (<c>git_oid</c> = 20 bytes); <c>Paude.Sync</c> pins LibGit2Sharp, so the binary is known.
/// </summary>
internal sealed class LibGit2Native
{
    private static readonly Lazy<LibGit2Native> Lazy = new(Load);

    private LibGit2Native(IntPtr lib)
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
        OdbRefresh = Get<OdbRefreshFn>(lib, "git_odb_refresh");
        OdbReadHeader = Get<OdbReadHeaderFn>(lib, "git_odb_read_header");
        OdbRead = Get<OdbReadFn>(lib, "git_odb_read");
        OdbExists = Get<OdbExistsFn>(lib, "git_odb_exists");
        ObjectData = Get<ObjectDataFn>(lib, "git_odb_object_data");
        ObjectSize = Get<ObjectSizeFn>(lib, "git_odb_object_size");
        ObjectType = Get<ObjectTypeFn>(lib, "git_odb_object_type");
        ObjectFree = Get<FreeFn>(lib, "git_odb_object_free");
    }

    public delegate int OdbRefreshFn(IntPtr odb);

    public delegate int OdbReadHeaderFn(out nuint size, out int type, IntPtr odb, byte[] oid);

    public delegate int OdbReadFn(out IntPtr obj, IntPtr odb, byte[] oid);

    public delegate int OdbExistsFn(IntPtr odb, byte[] oid);

    public delegate IntPtr ObjectDataFn(IntPtr obj);

    public delegate nuint ObjectSizeFn(IntPtr obj);

    public delegate int ObjectTypeFn(IntPtr obj);

    public delegate int OptionsInitFn(IntPtr options, uint version);

    public delegate int OdbOpenFn(out IntPtr odb, [MarshalAs(UnmanagedType.LPUTF8Str)] string objectsDir);

    public delegate void FreeFn(IntPtr handle);

    public delegate int IndexerNewFn(out IntPtr indexer, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, IntPtr odb, IntPtr options);

    public delegate int AppendFn(IntPtr indexer, ref byte data, nuint size, IntPtr stats);

    public delegate int CommitFn(IntPtr indexer, IntPtr stats);

    public delegate IntPtr ErrorLastFn();

    public delegate IntPtr NameFn(IntPtr indexer);

    /// <summary>The library LibGit2Sharp loaded (and initialised: a Repository is always open before it is used).</summary>
    public static LibGit2Native Instance => Lazy.Value;

    public OdbRefreshFn OdbRefresh { get; }

    public OdbReadHeaderFn OdbReadHeader { get; }

    public OdbReadFn OdbRead { get; }

    public OdbExistsFn OdbExists { get; }

    public ObjectDataFn ObjectData { get; }

    public ObjectSizeFn ObjectSize { get; }

    public ObjectTypeFn ObjectType { get; }

    public FreeFn ObjectFree { get; }

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

    private static LibGit2Native Load()
    {
        if (!NativeLibrary.TryLoad(ExecTransport.NativeLibraryName, typeof(Repository).Assembly, null, out var lib))
        {
            throw new SyncTransportException($"The native libgit2 library '{ExecTransport.NativeLibraryName}' could not be loaded.");
        }

        return new LibGit2Native(lib);
    }

    private static T Get<T>(IntPtr lib, string name)
        where T : Delegate =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? Marshal.GetDelegateForFunctionPointer<T>(address)
            : throw new SyncTransportException($"The native libgit2 library has no '{name}'.");
}
