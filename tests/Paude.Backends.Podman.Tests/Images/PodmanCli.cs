using System.Diagnostics;

namespace Paude.Tests.Images;

/// <summary>The result of one podman invocation.</summary>
internal sealed record PodmanResult(int ExitCode, string StdOut, string StdErr)
{
    public string Combined => StdOut + StdErr;
}

/// <summary>
/// Runs the real podman CLI with an argument vector (never a shell string). A missing podman fails the test with a
/// clear message: on CI a missing prerequisite must fail, not skip.
/// </summary>
internal static class PodmanCli
{
    public static async Task<PodmanResult> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var outcome = await ProcessRunner.RunAsync("podman", args, writeStdin: null, timeout: timeout ?? TimeSpan.FromMinutes(3), cancellationToken: cancellationToken);
            return new PodmanResult(outcome.ExitCode, outcome.StandardOutput, outcome.StandardError);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("These tests need podman on PATH (run scripts/setup.sh).", e);
        }
    }

    /// <summary>Runs podman and returns stdout; a non-zero exit fails with podman's own error.</summary>
    public static async Task<string> CheckAsync(params string[] args)
    {
        var result = await RunAsync(args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"podman {string.Join(' ', args)} failed ({result.ExitCode}): {result.StdErr}{result.StdOut}");
        }

        return result.StdOut;
    }

    /// <summary>Removes every container, network and volume labelled with <paramref name="runId"/> (and nothing else).</summary>
    public static async Task RemoveByLabelAsync(string runId)
    {
        var label = $"label={TestRun.LabelKey}={runId}";
        var ids = await PodmanListing.LinesAsync("ps", "-a", "-q", "--filter", label);
        if (ids.Length > 0)
        {
            await RunAsync(["rm", "-f", "-t", "0", .. ids]);
        }

        foreach (var v in await PodmanListing.LinesAsync("volume", "ls", "-q", "--filter", label))
        {
            await RunAsync(["volume", "rm", "-f", v]);
        }

        foreach (var n in await PodmanListing.LinesAsync("network", "ls", "-q", "--filter", label))
        {
            await RunAsync(["network", "rm", "-f", n]);
        }
    }

    /// <summary>
    /// How long to wait for a container to get ready. Generous: the machine is shared and under load a single
    /// podman exec can take seconds; the probes return as soon as the condition holds.
    /// </summary>
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(90);

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
        await PodmanCli.CheckAsync("build", "-q", "--pull=never", "--build-arg", $"BASE_IMAGE={Base}", "-t", image, dir);
    }

    /// <summary>Removes our tag: only the tag when the image is also :latest, else the image (no dangling leftovers).</summary>
    public static Task UntagAsync(string image) => PodmanCli.RunAsync(["rmi", image]);
}
