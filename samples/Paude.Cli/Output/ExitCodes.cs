using Paude.Errors;

namespace Paude.Cli.Output;

/// <summary>The exit codes scripts can rely on (documented in README.md; keep both in step).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
    public const int NotFound = 3;
    public const int AlreadyExists = 4;
    public const int BackendUnavailable = 5;
    public const int NotRunning = 6;
    public const int ImageNotFound = 7;
    public const int UnsafeContent = 8;
    public const int SyncRefused = 9;
    public const int SyncConflict = 10;
    public const int SyncLocked = 11;
    public const int Cancelled = 130;

    /// <summary>Maps an error to its exit code and a stable machine-readable kind.</summary>
    public static (int Code, string Kind) Classify(Exception error) => error switch
    {
        InvalidSessionNameException => (InvalidInput, "invalid-session-name"),
        InvalidSessionSpecException => (InvalidInput, "invalid-session-spec"),
        InvalidEgressPolicyException => (InvalidInput, "invalid-allowed-domains"),
        InvalidOptionsException => (InvalidInput, "invalid-options"),
        PaudeValidationException => (InvalidInput, "invalid-input"),
        CliUsageException => (InvalidInput, "invalid-input"),
        Paude.Sync.NotAGitRepositoryException => (InvalidInput, "not-a-git-repository"),
        Paude.Sync.UnsafeSyncException => (SyncRefused, "sync-refused"),
        Paude.Sync.UnsyncedWorkException => (SyncRefused, "unsynced-work"),
        Paude.Sync.SyncConflictException => (SyncConflict, "sync-conflict"),
        Paude.Sync.SessionSyncInProgressException => (SyncLocked, "sync-running"),
        Paude.Sync.SyncLockedException => (SyncLocked, "sync-locked"),
        Paude.Sync.SyncTransportException => (Failure, "sync-failed"),
        SessionNotFoundException => (NotFound, "session-not-found"),
        SessionAlreadyExistsException => (AlreadyExists, "session-already-exists"),
        BackendUnavailableException => (BackendUnavailable, "backend-unavailable"),
        SessionNotRunningException => (NotRunning, "session-not-running"),
        ImageNotFoundException => (ImageNotFound, "image-not-found"),
        UnsafeContentException => (UnsafeContent, "unsafe-content"),
        OperationCanceledException => (Cancelled, "cancelled"),
        Paude.Backends.OpenShift.ImageBuildFailedException => (Failure, "image-build-failed"),
        BackendOperationException => (Failure, "backend-operation-failed"),
        _ => (Failure, "unexpected-error"),
    };
}

/// <summary>The command line asked for something impossible (bad local path, conflicting options); nothing was changed.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
