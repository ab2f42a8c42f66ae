namespace Paude.Errors;

/// <summary>
/// The base of every error the Paude SDK throws on purpose. Messages never contain secret values, nor terminal control
/// characters: those (in a name a session sent, say) are shown as <c>\uXXXX</c>, so a message is safe to print or
/// log; properties such as <see cref="UnsafeContentException.Entry"/> keep the true value.
/// </summary>
public abstract class PaudeException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected PaudeException(string message, Exception? innerException = null)
        : base(ErrorText.Escape(message), innerException)
    {
    }
}

/// <summary>A value given to the SDK is invalid; nothing was changed.</summary>
public abstract class PaudeValidationException : PaudeException
{
    /// <summary>Creates the exception with every problem found.</summary>
    protected PaudeValidationException(string what, IReadOnlyList<string> errors)
        : base($"{what}:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", errors)}")
    {
        Errors = errors;
    }

    /// <summary>Every problem found, one per entry.</summary>
    public IReadOnlyList<string> Errors { get; }
}

/// <summary>A session name is not allowed.</summary>
public sealed class InvalidSessionNameException : PaudeValidationException
{
    /// <summary>Creates the exception.</summary>
    public InvalidSessionNameException(string name, string problem)
        : base($"Invalid session name '{name}'", [problem])
    {
        Name = name;
    }

    /// <summary>The rejected name.</summary>
    public string Name { get; }
}

/// <summary>A session spec is invalid; every problem is listed in <see cref="PaudeValidationException.Errors"/>.</summary>
public sealed class InvalidSessionSpecException(IReadOnlyList<string> errors)
    : PaudeValidationException("Invalid session spec", errors);

/// <summary>An egress allow-list is invalid.</summary>
public sealed class InvalidEgressPolicyException(IReadOnlyList<string> errors)
    : PaudeValidationException("Invalid egress allow-list", errors);

/// <summary>Backend or SDK options are invalid.</summary>
public sealed class InvalidOptionsException(string what, IReadOnlyList<string> errors)
    : PaudeValidationException(what, errors);

/// <summary>The named session does not exist.</summary>
public sealed class SessionNotFoundException(string name, string backend)
    : PaudeException($"Session '{name}' was not found on backend '{backend}'.")
{
    /// <summary>The session name.</summary>
    public string Name { get; } = name;
}

/// <summary>A session with that name already exists; nothing was changed.</summary>
public sealed class SessionAlreadyExistsException(string name, string backend)
    : PaudeException($"Session '{name}' already exists on backend '{backend}'.")
{
    /// <summary>The session name.</summary>
    public string Name { get; } = name;
}

/// <summary>The operation needs a running session.</summary>
public sealed class SessionNotRunningException(string name, string status)
    : PaudeException($"Session '{name}' is not running (status: {status}); start it first.")
{
    /// <summary>The session name.</summary>
    public string Name { get; } = name;
}

/// <summary>A prerequisite of the backend is missing or not running (e.g. Podman not installed).</summary>
public sealed class BackendUnavailableException(string backend, string prerequisite, string detail, Exception? inner = null)
    : PaudeException($"Backend '{backend}' is unavailable: {prerequisite} — {detail}", inner)
{
    /// <summary>The prerequisite that is missing (e.g. "podman").</summary>
    public string Prerequisite { get; } = prerequisite;
}

/// <summary>The image does not exist and cannot be pulled.</summary>
public sealed class ImageNotFoundException(string image, string detail)
    : PaudeException($"Image '{image}' was not found: {detail}")
{
    /// <summary>The image reference.</summary>
    public string Image { get; } = image;
}

/// <summary>A backend operation failed; the message carries the backend's own error (with secrets removed).</summary>
public sealed class BackendOperationException(string message, Exception? inner = null)
    : PaudeException(message, inner);

/// <summary>Content that came back from a session was refused as unsafe (path escape, device file, absurd size...).</summary>
public sealed class UnsafeContentException(string entry, string reason)
    : PaudeException($"Refused unsafe content from the session: '{ErrorText.Shorten(entry)}' {ErrorText.Shorten(reason, 500)}.")
{
    /// <summary>The offending entry name.</summary>
    public string Entry { get; } = entry;
}
