using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The resources a create (or a start's repair) made so far, removed in reverse order when it fails, so a failed
/// create leaves nothing behind and a failed start changes nothing. A resource is recorded before the command that
/// makes it runs (a cancelled podman call may still have made it) and taken off again on a name conflict (someone
/// else's resource holds the name: a rollback must never remove it). Thread-safe: a create makes resources in parallel.
/// </summary>
internal sealed class Rollback
{
    private readonly List<(Kind, string)> _items = [];

    public enum Kind
    {
        Volume,
        Network,
        Container,
    }

    public bool Any
    {
        get
        {
            lock (_items)
            {
                return _items.Count > 0;
            }
        }
    }

    public void Add(Kind kind, string name)
    {
        lock (_items)
        {
            _items.Add((kind, name));
        }
    }

    public void Remove(Kind kind, string name)
    {
        lock (_items)
        {
            _items.Remove((kind, name));
        }
    }

    /// <summary>
    /// Removes every recorded resource, containers first (they use the volumes and the network), then the rest, newest
    /// first. Never cancelled and never throws: a removal that fails is logged, and the caller's own error is the one
    /// to report.
    /// </summary>
    public async Task UndoAsync(PodmanEngine engine, SessionName session, ILogger logger)
    {
        foreach (var (kind, resource) in Reverse())
        {
            IReadOnlyList<string> args = kind switch
            {
                Kind.Container => ["rm", "-f", "-t", "0", "--ignore", resource],
                Kind.Network => ["network", "rm", "-f", resource],
                _ => ["volume", "rm", "-f", resource],
            };
            try
            {
                var result = await engine.RunAsync(args, CancellationToken.None).ConfigureAwait(false);
                if (!result.Succeeded && !PodmanEngine.IsNoSuch(result))
                {
                    Log.RollbackFailed(logger, session.Value, resource, Cli.PodmanCli.Trim(result.StandardError));
                }
            }
            catch (PaudeException ex)
            {
                Log.RollbackFailed(logger, session.Value, resource, ex.Message);
            }
        }
    }

    private List<(Kind Kind, string Name)> Reverse()
    {
        lock (_items)
        {
            return [.. _items.AsEnumerable().Reverse().OrderBy(i => i.Item1 == Kind.Container ? 0 : 1)];
        }
    }
}
