using System.Diagnostics;

namespace Paude.Tests.Images;

/// <summary>Waiting for an image's container to get ready, and the bound on one podman command.</summary>
internal static class ImageWait
{
    /// <summary>
    /// How long to wait for a container to get ready. Generous: the machine is shared and under load a single
    /// podman exec can take seconds; the probes return as soon as the condition holds.
    /// </summary>
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(90);

    /// <summary>How long one podman command of these tests may run before it is killed: a hung one fails its test.</summary>
    public static TimeSpan CommandBound { get; } = TimeSpan.FromMinutes(3);

    /// <summary>Polls <paramref name="probe"/> until it returns true or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> probe, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await probe())
            {
                return true;
            }

            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(200);
        }
    }
}

/// <summary>Names and labels for the Podman resources of one test run.</summary>
internal static class TestRun
{
    public const string LabelKey = "paude.test";

    /// <summary>Unique per process, so parallel runs by other engineers never collide.</summary>
    public static string Id { get; } = "pt" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4]);

    public static string Label => $"{LabelKey}={Id}";
}

/// <summary>Builds the agent and proxy images from the repository's Containerfiles under run-specific tags.</summary>
internal static class TestImages
{
    public static string Proxy => $"localhost/paude-proxy:{TestRun.Id}";

    public static string Agent => $"localhost/paude-agent:{TestRun.Id}";

    public const string Base = "localhost/paude-base:ci";

    public static async Task BuildAsync(string image, string name)
    {
        var dir = Path.Combine(RepositoryRoot.Path, "images", name);
        await Podman.CheckAsync("build", "-q", "--pull=never", "--build-arg", $"BASE_IMAGE={Base}", "-t", image, dir);
    }

    /// <summary>Removes our tag: only the tag when the image is also :latest, else the image (no dangling leftovers).</summary>
    public static Task UntagAsync(string image) => Podman.RunAsync(["rmi", image]);
}
