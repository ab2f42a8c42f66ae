using Paude.Egress;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Example.Backend;

/// <summary>
/// A third-party backend in a few lines: it runs sessions on any other <see cref="ISessionBackend"/> and keeps an
/// audit trail of what was done to them (which session, which operation; never command arguments or data).
/// </summary>
public sealed class AuditingBackend(ISessionBackend inner) : ISessionBackend
{
    private readonly List<string> _trail = [];

    /// <inheritdoc />
    public string Name => "audited-" + inner.Name;

    /// <summary>The operations so far, oldest first, as <c>operation session</c>.</summary>
    public IReadOnlyList<string> Trail
    {
        get
        {
            lock (_trail)
            {
                return [.. _trail];
            }
        }
    }

    /// <inheritdoc />
    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Record("create", spec.ResolveName());
        return Renamed(await inner.CreateAsync(spec, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        Record("start", name);
        return Renamed(await inner.StartAsync(name, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        Record("stop", name);
        return Renamed(await inner.StopAsync(name, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        Record("delete", name);
        return inner.DeleteAsync(name, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) =>
        await inner.GetAsync(name, cancellationToken).ConfigureAwait(false) is { } info ? Renamed(info) : null;

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionInfo> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var info in inner.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Renamed(info);
        }
    }

    /// <inheritdoc />
    public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        Record("exec", name);
        return inner.StartProcessAsync(name, spec, cancellationToken);
    }

    /// <inheritdoc />
    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default)
    {
        Record("upload", name);
        return inner.UploadAsync(name, containerDirectory, tarArchive, cancellationToken);
    }

    /// <inheritdoc />
    public Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default)
    {
        Record("download", name);
        return inner.DownloadAsync(name, containerDirectory, readArchive, cancellationToken);
    }

    /// <inheritdoc />
    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) =>
        inner.GetEgressPolicyAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default)
    {
        Record("egress", name);
        return inner.SetEgressPolicyAsync(name, policy, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) =>
        inner.GetBlockedRequestsAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default)
    {
        Record("attach", name);
        return inner.AttachAsync(name, terminal, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IPortForward> ForwardPortAsync(SessionName name, PortForwardSpec spec, CancellationToken cancellationToken = default)
    {
        Record("forward", name);
        return inner.ForwardPortAsync(name, spec, cancellationToken);
    }

    private SessionInfo Renamed(SessionInfo info) => info with { Backend = Name };

    private void Record(string operation, SessionName name)
    {
        lock (_trail)
        {
            _trail.Add($"{operation} {name.Value}");
        }
    }
}
