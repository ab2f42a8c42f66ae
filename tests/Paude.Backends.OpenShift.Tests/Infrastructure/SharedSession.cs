using System.Runtime.CompilerServices;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Infrastructure;

/// <summary>
/// One running session per server fixture, shared by the tests that only need "a running session" (creation is the
/// slow part). Per fixture, not per process: each test collection has a server of its own, and a session lives on one.
/// </summary>
internal static class SharedSession
{
    private static readonly ConditionalWeakTable<KubeServerFixture, Holder> Holders = [];

    public static async Task<SessionName> GetAsync(KubeServerFixture fixture)
    {
        var holder = Holders.GetValue(fixture, _ => new Holder());
        await holder.Gate.WaitAsync();
        try
        {
            if (holder.Name is { } existing && await fixture.Backend.GetAsync(existing) is { Status: SessionStatus.Running })
            {
                return existing;
            }

            var name = fixture.NewName("shared");
            if (await fixture.Backend.GetAsync(name) is null)
            {
                await fixture.Backend.CreateAsync(fixture.Spec(name));
            }
            else
            {
                await fixture.Backend.StartAsync(name);
            }

            holder.Name = name;
            return name;
        }
        finally
        {
            holder.Gate.Release();
        }
    }

    private sealed class Holder
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public SessionName? Name { get; set; }
    }
}
