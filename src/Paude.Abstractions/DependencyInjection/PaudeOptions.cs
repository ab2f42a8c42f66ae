namespace Paude.DependencyInjection;

/// <summary>SDK-wide options.</summary>
public sealed class PaudeOptions
{
    /// <summary>The backend used when none is named; <c>null</c> = the first one registered.</summary>
    public string? DefaultBackend { get; set; }

    /// <summary>Returns every problem with these options.</summary>
    public IReadOnlyList<string> GetErrors() =>
        DefaultBackend is { Length: 0 } ? ["DefaultBackend: must not be empty"] : [];
}
