using System.Formats.Tar;
using System.Security.Cryptography;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// Starts the session helper over one exec and says hello. The agent image carries it at <see cref="ImagePath"/>
/// (images/agent/Containerfile); when a session's image lacks it, or it speaks another version, the host's own
/// binary (<paramref name="localBinary"/>, e.g. from helper/build.sh) is uploaded through the file channel to
/// <c>/tmp/paude-helper-&lt;hash&gt;/</c> and started from there — one upload per session and binary.
/// </summary>
internal sealed class SessionHelperLauncher(ISessionBackend backend, HelperConnectionOptions options, string? localBinary)
{
    /// <summary>Where the agent image installs the helper.</summary>
    public const string ImagePath = "/usr/local/lib/paude-helper/paude-session-helper";

    /// <summary>The build the host expects from the image's copy (PROTOCOL.md, HelloOk).</summary>
    public const string ExpectedBuild = "paude-session-helper 1.0";

    private const string BinaryName = "paude-session-helper";

    /// <summary>Whether the last connection runs an injected copy (for status and tests).</summary>
    public bool Injected { get; private set; }

    public async Task<HelperClient> ConnectAsync(SessionName session, string workspaceRoot, CancellationToken cancellationToken)
    {
        HelperClient? client = null;
        try
        {
            client = await StartAsync(session, ImagePath, workspaceRoot, cancellationToken).ConfigureAwait(false);
            if (client.Connection.HelperBuild == ExpectedBuild || localBinary is null)
            {
                Injected = false;
                return client;
            }
        }
        catch (Exception e) when (localBinary is not null && e is HelperChannelException or HelperOperationException { Code: HelperErrorCode.UnsupportedVersion })
        {
            // Missing from the image (exec fails: the channel ends) or another protocol: inject ours.
        }

        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
        string path = await InjectAsync(session, localBinary!, cancellationToken).ConfigureAwait(false);
        var injected = await StartAsync(session, path, workspaceRoot, cancellationToken).ConfigureAwait(false);
        Injected = true;
        return injected;
    }

    private async Task<HelperClient> StartAsync(SessionName session, string program, string workspaceRoot, CancellationToken cancellationToken)
    {
        var process = await backend.StartProcessAsync(session, new ProcessSpec([program]) { RedirectStandardInput = true }, cancellationToken).ConfigureAwait(false);
        // stderr is diagnostics only: drained (bounded by the pipe, never kept) so the helper cannot block on it.
        _ = process.StandardError.CopyToAsync(Stream.Null, CancellationToken.None);
        var connection = await HelperConnection.OpenAsync(process.StandardInput, process.StandardOutput, workspaceRoot, process, options, cancellationToken).ConfigureAwait(false);
        return new HelperClient(connection, options);
    }

    /// <summary>Uploads the host's binary (mode 0755) and returns its path in the session.</summary>
    private async Task<string> InjectAsync(SessionName session, string binary, CancellationToken cancellationToken)
    {
        byte[] content = await File.ReadAllBytesAsync(binary, cancellationToken).ConfigureAwait(false);
        string dir = "/tmp/paude-helper-" + Convert.ToHexStringLower(SHA256.HashData(content))[..16];
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, BinaryName)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                       | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                DataStream = new MemoryStream(content),
            };
            await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        tar.Position = 0;
        await backend.UploadAsync(session, dir, tar, cancellationToken).ConfigureAwait(false);
        return dir + "/" + BinaryName;
    }
}
