using Paude.Sync;

namespace Paude.Tests.Model;

/// <summary>
/// The reference model: what any correct sync must guarantee, kept independently of the product.
/// <list type="bullet">
/// <item>Commits: every branch tip on either side when a sync starts is still reachable after it somewhere (a local
/// ref, backups included, or a ref in a session); checked by the runner around each sync.</item>
/// <item>Files (exclude): the per-session base is the content both sides agreed on after the last exclude sync with
/// that session (cleared by any other sync, whose base the model does not follow). A path changed on both sides
/// since then, differently, is a conflict: the local content must survive the pull.</item>
/// <item>Branch pulls and refusals change nothing the user sees (HEAD, index, working tree).</item>
/// </list>
/// Contents are unique per write (a step counter), so "changed since" is plain inequality.
/// </summary>
public sealed class SyncModel
{
    private readonly Dictionary<int, Dictionary<string, string>> _excludeBase = [];

    /// <summary>Paths the model says are exclude conflicts for a pull from <paramref name="session"/>.</summary>
    public IReadOnlyList<string> ExcludeConflicts(int session, IReadOnlyDictionary<string, string> local, IReadOnlyDictionary<string, string> remote)
    {
        if (!_excludeBase.TryGetValue(session, out var @base))
        {
            return [];
        }

        return [.. @base.Where(b => local.GetValueOrDefault(b.Key) is { } l && remote.GetValueOrDefault(b.Key) is { } r && l != b.Value && r != b.Value && l != r).Select(b => b.Key)];
    }

    /// <summary>After a sync with <paramref name="session"/> that completed: the new base (exclude) or none (other strategies).</summary>
    public void Synced(int session, SyncStrategy strategy, IReadOnlyDictionary<string, string> local, IReadOnlyDictionary<string, string> remote)
    {
        if (strategy != SyncStrategy.Exclude)
        {
            _excludeBase.Remove(session);
            return;
        }

        _excludeBase[session] = local.Where(l => remote.GetValueOrDefault(l.Key) == l.Value).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>A sync that failed midway or was killed: the base is whatever the product recorded; claim nothing.</summary>
    public void Unknown(int session) => _excludeBase.Remove(session);
}
