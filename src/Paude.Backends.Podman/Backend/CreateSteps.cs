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

    /// <summary>
    /// Awaits every one of <paramref name="steps"/>, cancelling <paramref name="siblings"/> (the token they all run
    /// with) as soon as one of them faults, and then throws that fault. Without it a create or start whose proxy died
    /// at once still waited for its sibling waits (the bridge's socket wait polls for up to 120 s) and failed only
    /// minutes later: measured 2 min in CI for a proxy that exited in under a second.
    /// </summary>
    public static async Task AllOrFirstFaultAsync(CancellationTokenSource siblings, params Task[] steps)
    {
        Exception? first = null;
        var gate = new object();
        var observed = steps.Select(step => step.ContinueWith(
            done =>
            {
                if (done.Exception?.InnerException is { } fault && fault is not OperationCanceledException)
                {
                    lock (gate)
                    {
                        first ??= fault;
                    }

                    try
                    {
                        siblings.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The caller is already done with its token: nothing left to stop.
                    }
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(observed).ConfigureAwait(false);
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        // No fault: any cancellation (the caller's or the ready timeout) surfaces as it did.
        await Task.WhenAll(steps).ConfigureAwait(false);
    }
}
