using LibGit2Sharp;
using Paude.Sessions;

namespace Paude.Sync.Transport;

/// <summary>Fetch from and push to the repository inside a session over <see cref="ExecSmartSubtransport"/>.</summary>
internal static class SessionGit
{
    private const string TemporaryRemotePrefix = "paude-sync-";

    /// <summary>Fetches <paramref name="refspecs"/> from the session repository; returns the bytes moved.</summary>
    public static async Task<long> FetchAsync(Repository repo, ISessionBackend backend, SessionName session, string path, IReadOnlyList<string> refspecs, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoint = new SessionEndpoint(backend, session, path, idle, time, cancellationToken);
        var (url, lease) = ExecTransport.Register(endpoint);
        using (lease)
        {
            await Task.Run(
                () =>
                {
                    try
                    {
                        var options = new FetchOptions
                        {
                            TagFetchMode = TagFetchMode.None,
                            OnTransferProgress = _ => !cancellationToken.IsCancellationRequested,
                        };
                        WithTemporaryRemote(repo, url, remote => Commands.Fetch(repo, remote.Name, refspecs, options, "paude sync: fetch from session " + session.Value));
                    }
                    catch (LibGit2SharpException ex)
                    {
                        throw Translate(endpoint, ex, session, path);
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }

        return endpoint.Bytes;
    }

    /// <summary>Pushes <paramref name="refspec"/> to the session repository; returns the bytes moved.</summary>
    /// <exception cref="SyncTransportException">The session refused the update (the message says why).</exception>
    public static async Task<long> PushAsync(Repository repo, ISessionBackend backend, SessionName session, string path, string refspec, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoint = new SessionEndpoint(backend, session, path, idle, time, cancellationToken);
        var (url, lease) = ExecTransport.Register(endpoint);
        using (lease)
        {
            await Task.Run(
                () =>
                {
                    string? rejected = null;
                    try
                    {
                        var options = new PushOptions
                        {
                            OnPushStatusError = e => rejected = $"{e.Reference}: {e.Message}",
                            OnPushTransferProgress = (_, _, _) => !cancellationToken.IsCancellationRequested,
                        };
                        WithTemporaryRemote(repo, url, remote => repo.Network.Push(remote, refspec, options));
                    }
                    catch (LibGit2SharpException ex)
                    {
                        throw Translate(endpoint, ex, session, path);
                    }

                    // A refused ref update does not throw in LibGit2Sharp; it only reaches this callback.
                    if (rejected is not null)
                    {
                        throw new SyncTransportException($"The session refused the push: {rejected}");
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }

        return endpoint.Bytes;
    }

    /// <summary>
    /// LibGit2Sharp fetches from and pushes to named remotes only (a URL is taken as an invalid remote name): add
    /// one for this operation and always remove it, so the custom scheme never stays in <c>.git/config</c> (the git
    /// CLI would choke on it). Stale ones left by a killed process are removed first.
    /// </summary>
    private static void WithTemporaryRemote(Repository repo, string url, Action<Remote> action)
    {
        RemoveStaleRemotes(repo);
        var name = TemporaryRemotePrefix + Guid.NewGuid().ToString("N")[..12];
        var remote = repo.Network.Remotes.Add(name, url, $"+refs/heads/*:refs/{name}/*");
        try
        {
            action(remote);
        }
        finally
        {
            repo.Network.Remotes.Remove(name);
        }
    }

    /// <summary>Removes temporary remotes left behind by a process that was killed mid-push.</summary>
    public static void RemoveStaleRemotes(Repository repo)
    {
        foreach (var stale in repo.Network.Remotes.Where(r => r.Name.StartsWith(TemporaryRemotePrefix, StringComparison.Ordinal) || r.Url.StartsWith(ExecTransport.Scheme + "://", StringComparison.Ordinal)).Select(r => r.Name).ToList())
        {
            repo.Network.Remotes.Remove(stale);
        }
    }

    private static Exception Translate(SessionEndpoint endpoint, LibGit2SharpException ex, SessionName session, string path)
    {
        if (endpoint.CancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException("The sync was cancelled.", ex, endpoint.CancellationToken);
        }

        if (endpoint.RemoteError is { } remote && remote.Contains("does not appear to be a git repository", StringComparison.Ordinal))
        {
            return new NotAGitRepositoryException($"{session.Value}:{path}", "the session workspace has no git repository (push to the session first)");
        }

        return endpoint.Failure switch
        {
            SyncException sync => sync,
            { } failure => new SyncTransportException($"Git transfer with session '{session.Value}' failed: {failure.Message}", ex),
            null => new SyncTransportException($"Git transfer with session '{session.Value}' failed: {ex.Message}", ex),
        };
    }
}
