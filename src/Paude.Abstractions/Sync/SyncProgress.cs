namespace Paude.Sync;

/// <summary>The phase a sync is in.</summary>
public enum SyncStage
{
    /// <summary>Reading both sides and running the safety checks.</summary>
    Checking,

    /// <summary>Moving commits or files over the session channel.</summary>
    Transferring,

    /// <summary>Writing refs and moving staged files into place.</summary>
    Applying,

    /// <summary>Finished.</summary>
    Done,
}

/// <summary>A progress report of a running sync (reported through <see cref="IProgress{T}"/>).</summary>
/// <param name="Stage">The phase.</param>
/// <param name="Message">What happens, for humans.</param>
/// <param name="Completed">Units done in this phase (objects, files or bytes), when known.</param>
/// <param name="Total">Units in this phase, when known.</param>
public sealed record SyncProgress(SyncStage Stage, string Message, long? Completed = null, long? Total = null);
