using Paude.Errors;
using Paude.Sync.Transport;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// The helper refused or failed one operation (its Error frame); the connection stays usable. Its text is the helper's
/// and made printable like all session text (afl found terminal escapes passed through: Regressions/helperframes).
/// </summary>
internal sealed class HelperOperationException(HelperErrorCode code, string message)
    : PaudeException($"The session helper refused the operation ({code}): {PktLine.Printable(System.Text.Encoding.UTF8.GetBytes(message))}")
{
    public HelperErrorCode Code { get; } = code;
}

/// <summary>
/// The connection to the helper is unusable: it ended, timed out or sent something outside the protocol (then the
/// inner exception is an <see cref="UnsafeContentException"/>). Every pending and later call fails with it.
/// </summary>
internal sealed class HelperChannelException(string message, Exception? inner = null) : PaudeException(message, inner);
