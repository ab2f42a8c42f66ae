namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>Why a container cannot be started yet, as kubelet reports it (waiting reason, message, event).</summary>
internal sealed class LaunchFailure(string waitingReason, string message, string eventReason, string eventMessage) : Exception(message)
{
    public string WaitingReason { get; } = waitingReason;

    public string EventReason { get; } = eventReason;

    public string EventMessage { get; } = eventMessage;

    public static LaunchFailure ConfigError(string message) =>
        new("CreateContainerConfigError", message, "Failed", "Error: " + message);

    public static LaunchFailure Mount(string volume, string message) =>
        new("ContainerCreating", "", "FailedMount", $"MountVolume.SetUp failed for volume \"{volume}\" : {message}");
}
