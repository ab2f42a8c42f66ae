namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The order of a session create's steps: each starts when its own prerequisites are done, not when every earlier
/// step is (the agent's container and Claude Code's start are on the critical path of create→first screen).
/// </summary>
internal static class CreateSteps
{
    /// <summary>
    /// Runs <paramref name="next"/> once every one of <paramref name="containers"/> was created by this create; when one
    /// was there already (a name conflict: the session exists) it does nothing, so nothing waits on someone else's
    /// container. A faulted container task faults this too.
    /// </summary>
    public static async Task WhenCreatedAsync(Task<PodmanBackend.CreateOutcome>[] containers, Func<Task> next)
    {
        foreach (var container in containers)
        {
            if (await container.ConfigureAwait(false) != PodmanBackend.CreateOutcome.Created)
            {
                return;
            }
        }

        await next().ConfigureAwait(false);
    }
}
