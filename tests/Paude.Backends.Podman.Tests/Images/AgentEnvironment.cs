using System.Text;

namespace Paude.Tests.Images;

/// <summary>Builds the agent image once and starts agent containers the way the backends do (the runtime contract).</summary>
public sealed class AgentEnvironment : IAsyncLifetime
{
    public const string ArbitraryUser = "1000680000:0";

    public string RunId { get; } = TestRun.Id + "-ag";

    public string Label => $"{TestRun.LabelKey}={RunId}";

    public static string Image => TestImages.Agent;

    public Task InitializeAsync() => TestImages.BuildAsync(Image, "agent");

    /// <summary>The contract's encoding of the agent argv: base64 of the arguments joined by NUL bytes.</summary>
    public static string EncodeArgv(IEnumerable<string> argv) => Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\0', argv)));

    /// <summary>Starts <c>paude-&lt;name&gt;</c>-style container with a fresh named volume at /pvc; waits for the entrypoint.</summary>
    public async Task<string> StartAsync(string name, bool headless, string? argvBase64, string user = ArbitraryUser, string? existingVolume = null)
    {
        var container = $"{RunId}-{name}";
        var volume = existingVolume ?? $"{container}-workspace";
        if (existingVolume is null)
        {
            await Podman.CheckAsync("volume", "create", "--label", Label, volume);
        }

        List<string> args =
        [
            // As the backends run it: no privileges, and the runtime (not the agent) writes the UID's passwd entry.
            "run", "-d", "--init", "--name", container, "--label", Label, "--user", user,
            "--security-opt", "no-new-privileges", "--cap-drop", "ALL", "--passwd-entry", "paude:x:$UID:$GID:paude:/home/paude:/bin/bash",
            "-v", $"{volume}:/pvc", "-e", $"PAUDE_SESSION_NAME={name}", "-e", $"PAUDE_HEADLESS={(headless ? 1 : 0)}",
        ];
        if (argvBase64 is not null)
        {
            args.AddRange(["-e", $"PAUDE_AGENT_ARGV={argvBase64}"]);
        }

        args.Add(Image);
        await Podman.CheckAsync([.. args]);
        var ready = await ImageWait.EventuallyAsync(
            async () => (await Podman.RunAsync(["exec", container, "test", "-d", "/pvc/workspace"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0 &&
                        (!headless || (await Podman.RunAsync(["exec", container, "tmux", "has-session", "-t", "=paude"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0),
            ImageWait.Patience);
        if (!ready)
        {
            var logs = await Podman.RunAsync(["logs", container], writeStdin: null, ImageWait.CommandBound);
            throw new InvalidOperationException($"agent container {container} did not get ready: {logs.StandardOutput + logs.StandardError}");
        }

        return container;
    }

    public static Task<string> ExecAsync(string container, params string[] argv) => Podman.CheckAsync(["exec", container, .. argv]);

    /// <summary>The visible text of the tmux session's pane.</summary>
    public static async Task<string> PaneAsync(string container) =>
        (await Podman.RunAsync(["exec", container, "tmux", "capture-pane", "-p", "-t", "=paude:"], writeStdin: null, ImageWait.CommandBound)).StandardOutput;

    public async Task DisposeAsync()
    {
        await Podman.RemoveLabelledAsync($"{TestRun.LabelKey}={RunId}");
        await TestImages.UntagAsync(Image);
    }
}
