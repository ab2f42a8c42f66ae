namespace Paude.Sync.Continuous.TwoWay;

/// <summary>A file's content identity on one side: its XXH3-128 hash as lower-case hex (stable, comparable, printable).</summary>
internal readonly record struct ContentId(string Hex)
{
    public override string ToString() => Hex;
}

/// <summary>How a conflict was settled.</summary>
internal enum ConflictOutcome { KeptBoth, KeptLocal, KeptSession, RestoredEdit, Stopped, LeftAlone }

/// <summary>
/// A conflict reported and left open (under <see cref="ConflictPolicy.Stop"/>, or one-way): the two versions it was
/// reported with, so it is not reported again while both are unchanged (also after a restart: it is persisted).
/// </summary>
internal sealed record HeldConflict(ContentId? Local, ContentId? Session);

/// <summary>One file changed on both sides since the last agreement.</summary>
internal sealed record TwoWayConflict(string Path, ContentId? Local, ContentId? Session, ConflictOutcome Outcome, string? CopyPath);

/// <summary>
/// What one two-way round does. Applied pulls first, then pushes (a conflict copy is pulled, then pushed back under its
/// own name). Each step is meant to be conditional on the content the plan saw (the helper's if-match write and
/// delete), so an edit made while the round runs is never overwritten: the step fails and the next round sees it.
/// </summary>
internal sealed record TwoWayPlan
{
    /// <summary>Local file → session path (the path is the same unless it is a conflict copy).</summary>
    public List<(string From, string To)> Push { get; } = [];

    /// <summary>Session file → local path.</summary>
    public List<(string From, string To)> Pull { get; } = [];

    public List<string> DeleteLocal { get; } = [];

    public List<string> DeleteSession { get; } = [];

    public List<TwoWayConflict> Conflicts { get; } = [];

    /// <summary>Paths not decided this round (one-way, or held): they keep their old base.</summary>
    public List<string> Keep { get; } = [];

    /// <summary>The conflicts left open after this round (reported now or before).</summary>
    public Dictionary<string, HeldConflict> Held { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether a conflict under <see cref="ConflictPolicy.Stop"/> means the sync must stop.</summary>
    public bool Stop { get; set; }

    public void Hold(string path, HeldConflict conflict)
    {
        Held[path] = conflict;
        Keep.Add(path);
    }

    public bool IsEmpty => Push.Count == 0 && Pull.Count == 0 && DeleteLocal.Count == 0 && DeleteSession.Count == 0 && Conflicts.Count == 0;
}
