namespace Paude.Execution;

/// <summary>A command to run inside a session: an argument vector, never a shell string.</summary>
public sealed record ProcessSpec
{
    /// <summary>Creates a spec for <paramref name="command"/>.</summary>
    public ProcessSpec(IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || string.IsNullOrEmpty(command[0]))
        {
            throw new ArgumentException("A command needs at least a program name.", nameof(command));
        }

        Command = command;
    }

    /// <summary>Program and arguments.</summary>
    public IReadOnlyList<string> Command { get; }

    /// <summary>Working directory inside the container; <c>null</c> uses the container's default.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables for this process only.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Run as this user (<c>UID[:GID]</c> or a name); <c>null</c> uses the session user.</summary>
    public string? User { get; init; }

    /// <summary>Whether the process reads stdin; when <c>false</c> its stdin is closed at once.</summary>
    public bool RedirectStandardInput { get; init; }
}
