using Paude.SessionHelper.Files;
using Paude.SessionHelper.Protocol;
using Paude.SessionHelper.Watch;

namespace Paude.SessionHelper;

/// <summary>
/// Reads request frames one after another and answers each (PROTOCOL.md). An operation's failure is an Error frame
/// and the loop goes on; a malformed frame is fatal (the stream cannot be trusted to be in step any more).
/// </summary>
internal sealed class Server(FrameIO io)
{
    public const string Build = "paude-session-helper 1.0";
    private Workspace? _workspace;
    private AtomicWriter? _writer;
    private bool _watching;
    private uint? _failedWrite;

    public int Run()
    {
        while (true)
        {
            Frame? frame;
            try { frame = io.Read(); }
            catch (HelperException e) { io.WriteError(0, e.Code, e.Message); return 2; }
            if (frame is null) { _writer?.Dispose(); return 0; }
            var f = frame.Value;
            try { Dispatch(f); }
            catch (HelperException e) when (e.Code == ErrorCode.BadFrame) { io.WriteError(f.Id, e.Code, e.Message); return 2; }
            catch (HelperException e) { AbortWrite(f); io.WriteError(f.Id, e.Code, e.Message); }
            catch (IOException e) { AbortWrite(f); io.WriteError(f.Id, ErrorCode.IoError, e.Message); }
            catch (UnauthorizedAccessException e) { AbortWrite(f); io.WriteError(f.Id, ErrorCode.IoError, e.Message); }
        }
    }

    private void Dispatch(Frame f)
    {
        // A write that failed was answered by its Error already; the chunks the host sent meanwhile are dropped.
        if (f.Type is MessageType.WriteChunk or MessageType.WriteEnd && f.Id == _failedWrite)
        {
            if (f.Type == MessageType.WriteEnd) _failedWrite = null;
            return;
        }
        var r = new PayloadReader(f.Payload);
        if (f.Type != MessageType.Hello && _workspace is null) throw new HelperException(ErrorCode.NotReady, "hello first");
        switch (f.Type)
        {
            case MessageType.Hello: Hello(f.Id, ref r); break;
            case MessageType.List:
            {
                bool hash = (r.U8() & 1) != 0;
                var paths = Strings(ref r, Limits.MaxPathBytes);
                var excludes = Strings(ref r, Limits.MaxComponentBytes);
                r.End();
                new Lister(_workspace!, io, f.Id, hash, [.. excludes]).Run(paths);
                break;
            }
            case MessageType.Read:
            {
                string path = r.String(Limits.MaxPathBytes);
                long max = (long)Math.Min(r.U64(), long.MaxValue);
                r.End();
                FileReader.Run(_workspace!, io, f.Id, path, max);
                break;
            }
            case MessageType.WriteBegin: WriteBegin(f.Id, ref r); break;
            case MessageType.WriteChunk:
                Writer(f.Id).Append(f.Payload);
                break;
            case MessageType.WriteEnd:
            {
                r.End();
                var writer = Writer(f.Id);
                byte[] digest;
                try { digest = writer.Commit(); }
                finally { writer.Dispose(); _writer = null; }
                var w = new PayloadWriter();
                w.Raw(digest);
                io.Write(MessageType.Ok, f.Id, w);
                break;
            }
            case MessageType.Delete:
            {
                string path = r.String(Limits.MaxPathBytes);
                var flags = (DeleteFlags)r.U8();
                byte[]? ifMatch = flags.HasFlag(DeleteFlags.IfMatch) ? r.Bytes(Limits.HashBytes).ToArray() : null;
                r.End();
                Remover.Delete(_workspace!, path, flags, ifMatch);
                io.Write(MessageType.Ok, f.Id, []);
                break;
            }
            case MessageType.Mkdir:
            {
                string path = r.String(Limits.MaxPathBytes);
                uint mode = r.U32();
                bool parents = (r.U8() & 1) != 0;
                r.End();
                Remover.Mkdir(_workspace!, path, mode, parents);
                io.Write(MessageType.Ok, f.Id, []);
                break;
            }
            case MessageType.Watch:
            {
                var excludes = Strings(ref r, Limits.MaxComponentBytes);
                r.End();
                if (_watching) throw new HelperException(ErrorCode.Exists, "already watching");
                _watching = true;
                var w = new PayloadWriter();
                w.U32((uint)new InotifyWatcher(_workspace!, io, f.Id, [.. excludes]).Start());
                io.Write(MessageType.WatchStarted, f.Id, w);
                break;
            }
            case MessageType.Git:
            {
                var args = Strings(ref r, Limits.MaxPathBytes, Limits.MaxGitArgs);
                long max = (long)Math.Min(r.U64(), long.MaxValue);
                r.End();
                GitRunner.Run(_workspace!, io, f.Id, args, max);
                break;
            }
            default: throw new HelperException(ErrorCode.UnknownMessage, $"unknown message type 0x{(byte)f.Type:x2}");
        }
    }

    private void Hello(uint id, ref PayloadReader r)
    {
        ushort min = r.U16(), max = r.U16();
        string root = r.String(Limits.MaxPathBytes);
        r.End();
        if (min > Limits.ProtocolVersion || max < Limits.ProtocolVersion)
            throw new HelperException(ErrorCode.UnsupportedVersion, $"helper speaks version {Limits.ProtocolVersion} only, host asked {min}..{max}");
        if (_workspace is not null) throw new HelperException(ErrorCode.Exists, "hello was already said");
        _workspace = Workspace.Open(root);
        var w = new PayloadWriter();
        w.U16(Limits.ProtocolVersion);
        w.String(Build);
        w.U32(Limits.MaxFrame);
        io.Write(MessageType.HelloOk, id, w);
    }

    private void WriteBegin(uint id, ref PayloadReader r)
    {
        string path = r.String(Limits.MaxPathBytes);
        uint mode = r.U32();
        var flags = (WriteFlags)r.U8();
        long mtime = r.I64();
        byte[]? ifMatch = flags.HasFlag(WriteFlags.IfMatch) ? r.Bytes(Limits.HashBytes).ToArray() : null;
        long size = (long)Math.Min(r.U64(), long.MaxValue);
        r.End();
        if (_writer is not null) throw new HelperException(ErrorCode.Exists, "a write is already open");
        _writer = AtomicWriter.Begin(_workspace!, id, path, mode, flags, ifMatch, size, mtime);
    }

    private AtomicWriter Writer(uint id) =>
        _writer is { } w && w.Id == id ? w : throw new HelperException(ErrorCode.NotReady, $"no open write with id {id}");

    /// <summary>A failed step of a write ends the write: its temporary file is removed.</summary>
    private void AbortWrite(Frame f)
    {
        if (f.Type is MessageType.WriteBegin or MessageType.WriteChunk) _failedWrite = f.Id;
        if (_writer is { } w && w.Id == f.Id) { w.Dispose(); _writer = null; }
    }

    private static List<string> Strings(ref PayloadReader r, int maxBytes, int maxCount = Limits.MaxListItems)
    {
        int n = r.U16();
        if (n > maxCount) throw new HelperException(ErrorCode.TooLarge, $"{n} items exceed {maxCount}");
        var list = new List<string>(n);
        for (int i = 0; i < n; i++) list.Add(r.String(maxBytes));
        return list;
    }
}
