using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.OpenShift.Tests.Leases;

/// <summary>
/// "Machines" against the one test server: each its own service provider and backend instance registered under its
/// own name, so its local sync lock files are in a state folder of their own (<c>sessions/&lt;name&gt;/</c>) and only the
/// cluster's Lease can tell it about the others' syncs.
/// </summary>
internal sealed class SyncLeaseMachines(KubeServerFixture fixture) : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];

    public sealed record Machine(ISessionBackend Backend, ISessionSync Sync, IContinuousSync Continuous)
    {
        public string Name => Backend.Name;

        public ISessionSyncExclusion Exclusion => (ISessionSyncExclusion)Backend;

        public string Holder => ((OpenShiftBackend)Backend).SyncLeaseHolder;
    }

    /// <param name="name">The backend's registration name (= its local state folder).</param>
    /// <param name="leaseDuration">Its <see cref="OpenShiftBackendOptions.SyncLeaseDuration"/>.</param>
    /// <param name="time">Its clock; <see cref="NoTimers"/> makes a holder that never renews, as a killed process.</param>
    public Machine Start(string name, TimeSpan? leaseDuration, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddPaude().AddOpenShiftBackend(name, o =>
        {
            o.KubeconfigPath = fixture.Server.KubeconfigPath;
            o.Namespace = KubeServerFixture.Namespace;
            o.ReadyTimeout = TimeSpan.FromMinutes(3);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 10;
            o.AgentImage = KubeServerFixture.AgentImage;
            o.SyncLeaseDuration = leaseDuration;
        }).AddPaudeSync();
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return new Machine(
            provider.GetRequiredService<ISessionBackendProvider>().GetBackend(name),
            provider.GetRequiredService<ISessionSync>(),
            provider.GetRequiredService<IContinuousSync>());
    }

    /// <summary>The session's Lease as kubectl shows it: <c>holder|leaseDurationSeconds|renewTime|leaseTransitions</c>, or empty.</summary>
    public async Task<string> LeaseAsync(SessionName session)
    {
        var name = await fixture.KubectlAsync("get", "leases", "-l", $"paude.io/session-name={session.Value}", "-o", "name");
        return name.Length == 0 ? string.Empty
            : await fixture.KubectlAsync("get", "lease", $"paude-sync-{session.Value}", "-o", "jsonpath={.spec.holderIdentity}|{.spec.leaseDurationSeconds}|{.spec.renewTime}|{.spec.leaseTransitions}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    /// <summary>A clock whose timers never fire: a holder on it takes the Lease and then never renews nor releases it.</summary>
    public sealed class NoTimers : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Never();

        private sealed class Never : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>Blocks the sync's thread in its first report until <see cref="Release"/> (a real sync, paused mid-run with its locks held).</summary>
    public sealed class PausingProgress : IProgress<SyncProgress>, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Report(SyncProgress value)
        {
            if (Reached.TrySetResult())
            {
                _release.Wait(TimeSpan.FromMinutes(3));
            }
        }

        public void Release() => _release.Set();

        public void Dispose() => _release.Dispose();
    }
}
