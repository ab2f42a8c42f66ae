namespace Paude.Sync;

/// <summary>
/// What two-way sync does with a file changed on both sides since they last agreed (issue 16). Every conflict is
/// reported once, whatever the policy. An edit against a deletion always keeps the edit (restored on the side that
/// deleted it): no policy turns a deletion into lost work.
/// </summary>
public enum ConflictPolicy
{
    /// <summary>Both versions survive: the session's version is saved next to the file as
    /// <c>name.conflict-session-&lt;hash&gt;.ext</c> on both sides, the local version stays at the path on both sides.</summary>
    KeepBoth = 0,

    /// <summary>The local version replaces the session's.</summary>
    KeepLocal,

    /// <summary>The session's version replaces the local one.</summary>
    KeepSession,

    /// <summary>Nothing is changed for the file and the sync stops after reporting it.</summary>
    Stop,
}
