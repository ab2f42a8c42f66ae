using Paude.Backends.OpenShift.Backend;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Delete: every object in <see cref="Objects.SessionObjects"/>, by label and UID (see <see cref="Objects.SessionObjectStore"/>).</summary>
internal sealed partial class OpenShiftBackend
{
    /// <inheritdoc />
    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var existed = await _objects.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        // The host's state of the session (two-way sync's bases) goes with it; see SessionStateFolder.
        if (SessionStateFolder.Forget(Name, name) is { } reason)
        {
            Log.StateNotRemoved(_logger, name.Value, reason);
        }

        if (existed)
        {
            Log.Deleted(_logger, name);
        }

        return existed;
    }
}
