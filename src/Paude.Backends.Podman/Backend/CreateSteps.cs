namespace Paude.Backends.Podman.Backend;

/// <summary>What one create command did: made the resource, or found the name taken (the session exists).</summary>
internal enum CreateOutcome
{
    Created,
    Conflict,
}

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
    public static async Task WhenCreatedAsync(Task<CreateOutcome>[] containers, Func<Task> next)
    {
        foreach (var container in containers)
        {
            if (await container.ConfigureAwait(false) != CreateOutcome.Created)
            {
                return;
            }
        }

        await next().ConfigureAwait(false);
    }
}
