using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Store;

/// <summary>
/// The server serves <c>coordination.k8s.io/v1</c> Leases as the apiserver does for the uses a lock makes of them:
/// create by name (a second create is 409), replace guarded by <c>resourceVersion</c> (a stale one is 409), delete
/// guarded by uid and resourceVersion preconditions (409 when either moved on), list by label; the real kubectl
/// discovers the resource and reads back what the typed client wrote.
/// </summary>
public sealed class LeaseTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static V1Lease Lease(string name, string holder) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["paude.io/session-name"] = name } },
        Spec = new V1LeaseSpec
        {
            HolderIdentity = holder,
            LeaseDurationSeconds = 30,
            AcquireTime = new DateTime(2026, 12, 7, 21, 0, 0, DateTimeKind.Utc),
            RenewTime = new DateTime(2026, 12, 7, 21, 0, 5, 123, DateTimeKind.Utc),
            LeaseTransitions = 0,
        },
    };

    private static async Task<HttpStatusCode> StatusOfAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return e.Response.StatusCode;
    }

    [Fact]
    public async Task Leases_are_served_with_optimistic_concurrency_and_kubectl_reads_them()
    {
        var name = $"lease-{Guid.NewGuid().ToString("N")[..6]}";
        var created = await fx.Client.CoordinationV1.CreateNamespacedLeaseAsync(Lease(name, "host-a/1/aa"), "paude");
        Assert.Equal("host-a/1/aa", created.Spec.HolderIdentity);
        Assert.Equal(HttpStatusCode.Conflict, await StatusOfAsync(() => fx.Client.CoordinationV1.CreateNamespacedLeaseAsync(Lease(name, "host-b/2/bb"), "paude")));

        // Two takers read the same version: the first replace wins, the second is refused and changes nothing.
        var first = Lease(name, "host-b/2/bb");
        first.Metadata.ResourceVersion = created.Metadata.ResourceVersion;
        var second = Lease(name, "host-c/3/cc");
        second.Metadata.ResourceVersion = created.Metadata.ResourceVersion;
        var taken = await fx.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(first, name, "paude");
        Assert.NotEqual(created.Metadata.ResourceVersion, taken.Metadata.ResourceVersion);
        Assert.Equal(HttpStatusCode.Conflict, await StatusOfAsync(() => fx.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(second, name, "paude")));

        // kubectl discovers the resource and shows what is stored: the winner.
        Assert.Equal("host-b/2/bb 30", await fx.Kubectl.OkAsync("-n", "paude", "get", "lease", name, "-o", "jsonpath={.spec.holderIdentity} {.spec.leaseDurationSeconds}"));
        Assert.Equal($"lease.coordination.k8s.io/{name}\n", await fx.Kubectl.OkAsync("-n", "paude", "get", "leases", "-l", $"paude.io/session-name={name}", "-o", "name"));
        var read = await fx.Client.CoordinationV1.ReadNamespacedLeaseAsync(name, "paude");
        Assert.Equal(first.Spec.RenewTime, read.Spec.RenewTime);

        // A delete whose preconditions name an older version (or another object) is refused; the current one deletes.
        var stale = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = created.Metadata.Uid, ResourceVersion = created.Metadata.ResourceVersion } };
        Assert.Equal(HttpStatusCode.Conflict, await StatusOfAsync(() => fx.Client.CoordinationV1.DeleteNamespacedLeaseAsync(name, "paude", stale)));
        var otherUid = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString(), ResourceVersion = taken.Metadata.ResourceVersion } };
        Assert.Equal(HttpStatusCode.Conflict, await StatusOfAsync(() => fx.Client.CoordinationV1.DeleteNamespacedLeaseAsync(name, "paude", otherUid)));
        var current = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = created.Metadata.Uid, ResourceVersion = taken.Metadata.ResourceVersion } };
        await fx.Client.CoordinationV1.DeleteNamespacedLeaseAsync(name, "paude", current);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync(() => fx.Client.CoordinationV1.ReadNamespacedLeaseAsync(name, "paude")));
        Assert.Equal(string.Empty, await fx.Kubectl.OkAsync("-n", "paude", "get", "leases", "-l", $"paude.io/session-name={name}", "-o", "name"));
    }
}
