using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Infrastructure;

/// <summary>One running session shared by the tests that only need "a running session" (creation is the slow part).</summary>
internal static class SharedSession
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SessionName? _name;

    public static async Task<SessionName> GetAsync(KubeServerFixture fixture)
    {
        await Gate.WaitAsync();
        try
        {
            if (_name is { } existing && await fixture.Backend.GetAsync(existing) is { Status: SessionStatus.Running })
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

            _name = name;
            return name;
        }
        finally
        {
            Gate.Release();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class KubeServerCollection : ICollectionFixture<KubeServerFixture>
{
    public const string Name = "kube-server";
}
