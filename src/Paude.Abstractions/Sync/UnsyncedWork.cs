namespace Paude.Sync;

/// <summary>
/// What a session holds that no sync brought back to the local workspace: deleting the session would lose it.
/// Found with <see cref="ISessionSync.FindUnsyncedWorkAsync"/>.
/// </summary>
public sealed record UnsyncedWork
{
    /// <summary>Commits of the session (any of its refs, stashes included) that no local ref reaches, as <c>&lt;short sha&gt; &lt;subject&gt;</c>.</summary>
    public IReadOnlyList<string> Commits { get; init; } = [];

    /// <summary>Session files (changed or untracked, not excluded) whose content the local workspace does not have.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>Whether nothing would be lost.</summary>
    public bool IsEmpty => Commits.Count == 0 && Paths.Count == 0;
}
