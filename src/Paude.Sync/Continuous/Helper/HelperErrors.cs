using Paude.Errors;

namespace Paude.Sync.Continuous.Helper;

/// <summary>The helper refused or failed one operation (its Error frame); the connection stays usable.</summary>
internal sealed class HelperOperationException(HelperErrorCode code, string message)
    : PaudeException($"The session helper refused the operation ({code}): {Printable(message)}")
{
    public HelperErrorCode Code { get; } = code;

    // The message is the helper's text: a hostile helper could put terminal escapes or line breaks into the host's
    // output and logs (afl found it: Regressions/helperframes/error-message-control-chars). Control characters become '?', length stays bounded.
    private static string Printable(string message)
    {
        var text = message.Length > 1024 ? message[..1024] : message;
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }
}

/// <summary>
/// The connection to the helper is unusable: it ended, timed out or sent something outside the protocol (then the
/// inner exception is an <see cref="UnsafeContentException"/>). Every pending and later call fails with it.
/// </summary>
internal sealed class HelperChannelException(string message, Exception? inner = null) : PaudeException(message, inner);
