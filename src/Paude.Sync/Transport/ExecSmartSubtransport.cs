using LibGit2Sharp;
using Paude.Execution;

namespace Paude.Sync.Transport;

/// <summary>
/// A git smart transport whose connection is the stdin/stdout of <c>git-upload-pack</c> / <c>git-receive-pack</c>
/// started inside the session through <see cref="Sessions.ISessionBackend.StartProcessAsync"/>.
/// </summary>
/// <remarks>
/// Why this transport: commits must travel as git objects (copying <c>.git</c> over itself is how the Python tool
/// lost commits, BUG-003), the pack protocol sends only the objects the other side lacks, and git's own
/// <c>ext::</c> remote needs a backend CLI on the host plus a custom-scheme remote persisted in <c>.git/config</c>.
/// Running the pack programs over the backend's exec channel works on every backend (Podman, OpenShift) with one
/// exec per fetch or push and keeps everything in process (cancellable, no global git config).
/// libgit2's call order: <c>Close</c>, then <c>*List</c> opens the connection, later calls must return the same
/// stream (libgit2 asserts it), and the stream's <c>Free</c> ends the process. It is stateful (not the
/// HTTP-style <see cref="RpcSmartSubtransport"/>).
/// </remarks>
internal sealed class ExecSmartSubtransport : SmartSubtransport
{
    private ExecStream? _stream;

    protected override SmartSubtransportStream Action(string url, GitSmartSubtransportAction action)
    {
        switch (action)
        {
            case GitSmartSubtransportAction.UploadPackList:
            case GitSmartSubtransportAction.ReceivePackList:
                var endpoint = ExecTransport.Resolve(url);
                var program = action == GitSmartSubtransportAction.UploadPackList ? "git-upload-pack" : "git-receive-pack";
                _stream = ExecStream.Start(this, endpoint, program);
                return _stream;
            case GitSmartSubtransportAction.UploadPack:
            case GitSmartSubtransportAction.ReceivePack:
                // Same rule as libgit2's ssh transport: a pack request without a ref listing first is a bug.
                return _stream ?? throw new InvalidOperationException($"{action} without a connection (no *List call first).");
            default:
                throw new NotSupportedException($"Unknown git transport action {action}.");
        }
    }

    protected override void Close() => _stream = null;

    protected override void Dispose()
    {
        _stream?.Abort();
        _stream = null;
        base.Dispose();
    }

    /// <summary>Runs an async backend call from libgit2's synchronous callback (no synchronization context here).</summary>
    internal static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    internal static ProcessSpec PackSpec(string program, string path) => new([program, path]) { RedirectStandardInput = true };
}
