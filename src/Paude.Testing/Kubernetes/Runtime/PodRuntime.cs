using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// The "kubelet": one loop that makes every pod's containers exist in Podman, restarts them per restartPolicy with
/// back-off, reports phase/conditions/containerStatuses and events, and finishes deferred pod deletions. One loop
/// (no per-pod tasks) so Podman operations on a pod never race.
/// </summary>
internal sealed partial class PodRuntime(
    ObjectStore store,
    ServerResources resources,
    PodmanCli podman,
    PodLaunch launch,
    EventRecorder events,
    KubernetesTestServerOptions options,
    Registry.RegistryPulls? pulls)
{
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private readonly HashSet<(string Ns, string Claim)> _releasedClaims = [];
    private readonly Signal _wake = new();
    private readonly BridgeAddress _bridge = new(podman, resources.Network);
    private ReadinessProbes? _probes;
    private CancellationToken _stopping;
    private TimeProvider Time => options.TimeProvider;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
        using var probes = new ReadinessProbes(podman, events, _wake.Set);
        _probes = probes;
        var feed = store.Subscribe(store.CurrentResourceVersion, out _);
        var pump = Task.Run(async () =>
        {
            await foreach (var e in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (e.Resource == ResourceTypes.PersistentVolumeClaims && e.Type == "DELETED")
                {
                    lock (_releasedClaims)
                    {
                        _releasedClaims.Add((e.Namespace ?? "", e.Object.Name()));
                    }
                }

                if (e.Resource == ResourceTypes.Secrets || e.Resource == ResourceTypes.ConfigMaps)
                {
                    Interlocked.Exchange(ref _sourcesChanged, 1);
                }

                if (e.Resource == ResourceTypes.Pods || e.Resource == ResourceTypes.PersistentVolumeClaims || e.Resource == ResourceTypes.Secrets || e.Resource == ResourceTypes.ConfigMaps || e.Resource == ResourceTypes.Services || e.Resource == ResourceTypes.NetworkPolicies)
                {
                    _wake.Set();
                }
            }
        }, cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A pod vanished or podman failed mid-pass: the next pass starts from the facts again. Whatever
                    // the failure, the loop must survive it — a dead loop leaves every pod as it is forever.
                }

                await _wake.WaitAsync(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Server stopping.
        }
        finally
        {
            store.Unsubscribe(feed);
            await pump.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        var containers = await PsAsync(ct).ConfigureAwait(false);
        var pods = store.List(ResourceTypes.Pods, null).Items;
        var liveUids = pods.Select(p => p.Uid()).ToHashSet(StringComparer.Ordinal);
        SnapshotPodIps(pods);
        foreach (var pod in pods)
        {
            try
            {
                await ReconcilePodAsync(pod, containers, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One pod whose Podman step keeps failing must not hold back the others (a pass used to end at the
                // first failure, so pods listed after it — e.g. one waiting to be deleted — were never reconciled).
            }
        }

        if (Interlocked.Exchange(ref _sourcesChanged, 0) == 1)
        {
            RefreshVolumes(pods);
        }

        _probes?.Retain(containers.Values.Where(c => c.Running).Select(c => c.Id).ToHashSet(StringComparer.Ordinal));

        // Containers whose pod is gone (deleted while the server was busy): remove them.
        var orphans = containers.Values.Where(c => c.PodUid is { } uid && !liveUids.Contains(uid)).Select(c => c.Name).ToList();
        if (orphans.Count > 0)
        {
            await podman.RunAsync(["rm", "--force", "--time", "1", .. orphans], ct).ConfigureAwait(false);
        }

        foreach (var uid in _pods.Keys.Where(uid => !liveUids.Contains(uid)).ToList())
        {
            _pods.Remove(uid);
            resources.DeletePodDirectory(uid);
        }

        List<(string Ns, string Claim)> released;
        lock (_releasedClaims)
        {
            released = [.. _releasedClaims];
        }

        foreach (var (ns, claim) in released)
        {
            if (store.TryGet(ResourceTypes.PersistentVolumeClaims, ns, claim) is not null)
            {
                lock (_releasedClaims)
                {
                    _releasedClaims.Remove((ns, claim));
                }

                continue;
            }

            // Like pvc-protection: the volume goes once no container uses it (podman refuses while one does).
            if (await resources.RemoveVolumeAsync(ns, claim, ct).ConfigureAwait(false))
            {
                lock (_releasedClaims)
                {
                    _releasedClaims.Remove((ns, claim));
                }
            }
        }
    }

    internal static string Seconds(TimeSpan t) => ((int)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
