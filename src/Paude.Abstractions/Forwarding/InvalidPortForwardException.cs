namespace Paude.Errors;

/// <summary>A port forward was asked for with invalid ports or address; <see cref="PaudeValidationException.Errors"/> lists every problem.</summary>
public sealed class InvalidPortForwardException(IReadOnlyList<string> errors)
    : PaudeValidationException("Invalid port forward", errors);
