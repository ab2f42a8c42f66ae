using k8s.Models;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Get and list: see <see cref="Backend.OpenShiftSessionReader"/>.</summary>
internal sealed partial class OpenShiftBackend
{
    /// <inheritdoc />
    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => _reader.GetAsync(name, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => _reader.ListAsync(cancellationToken);

    private Task<SessionInfo> GetRequiredAsync(SessionName name, CancellationToken cancellationToken) => _reader.GetRequiredAsync(name, cancellationToken);

    private Task<V1StatefulSet?> ReadStatefulSetAsync(SessionName name, CancellationToken cancellationToken) => _reader.ReadStatefulSetAsync(name, cancellationToken);
}
