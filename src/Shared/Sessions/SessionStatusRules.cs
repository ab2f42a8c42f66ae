namespace Paude.Sessions;

// Shared source (src/Shared): compiled as an internal type into both built-in backends, so a status means the same
// on each (the conformance suite checks the observable half of it).
/// <summary>
/// The rule every backend's status follows once it has read its agent: the agent's own state decides unless it runs;
/// a running agent is <see cref="SessionStatus.Running"/> only with a ready proxy, otherwise
/// <see cref="SessionStatus.Degraded"/> (its work is intact but it has no way out; start repairs the proxy).
/// </summary>
internal static class SessionStatusRules
{
    /// <summary>
    /// Combines the agent's status (with why, when not running) and, asked only for a running agent, what is wrong
    /// with the proxy (<c>null</c>: it is ready).
    /// </summary>
    public static (SessionStatus Status, string? Reason) Combine((SessionStatus Status, string? Reason) agent, Func<string?> proxyProblem)
    {
        ArgumentNullException.ThrowIfNull(proxyProblem);
        if (agent.Status != SessionStatus.Running)
        {
            return agent;
        }

        return proxyProblem() is { } problem ? (SessionStatus.Degraded, problem) : (SessionStatus.Running, null);
    }
}
