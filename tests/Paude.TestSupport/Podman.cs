using System.ComponentModel;
using System.Text.Json;

namespace Paude.TestSupport;

/// <summary>
/// The real podman CLI for every test project's set-up, assertions and clean-up: argument vectors only (never a shell
/// string), through <see cref="ProcessRunner"/>. A missing podman fails with a clear message (on CI a missing
/// prerequisite must fail, not skip). Clean-up removes only what carries the caller's marker or label: other tests run
/// on this machine at the same time.
/// </summary>
public static class Podman
{
    private const string Missing = "These tests need podman on PATH (run scripts/setup.sh).";

    private static readonly (string Kind, string[] Args)[] Listings =
    [
        ("container", ["ps", "-a", "--format", "{{.Names}}"]),
        ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
        ("network", ["network", "ls", "--format", "{{.Name}}"]),
    ];

    /// <summary>Runs podman with <paramref name="args"/> and captures its output, whatever its exit code.</summary>
    public static Task<ProcessOutcome> RunAsync(params string[] args) => RunAsync(args, writeStdin: null);

    /// <summary>Runs podman, feeding <paramref name="stdin"/> when given.</summary>
    public static Task<ProcessOutcome> RunAsync(IEnumerable<string> args, Stream? stdin = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdin is null ? null : input => stdin.CopyToAsync(input, cancellationToken), timeout: null, cancellationToken);

    /// <summary>Runs podman; <paramref name="writeStdin"/> writes its input; after <paramref name="timeout"/> it is killed (<see cref="TimeoutException"/>).</summary>
    public static async Task<ProcessOutcome> RunAsync(IEnumerable<string> args, Func<Stream, Task>? writeStdin, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ProcessRunner.RunAsync("podman", args, writeStdin, timeout: timeout, cancellationToken: cancellationToken);
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(Missing, e);
        }
    }

    /// <summary>Runs podman and returns its stdout; a non-zero exit fails with podman's own error.</summary>
    public static async Task<string> CheckAsync(params string[] args) =>
        (await RunAsync(args)).EnsureSuccess("podman " + string.Join(' ', args)).StandardOutput;

    /// <summary>
    /// Runs a listing (<c>ps -a</c>, <c>volume ls</c>, <c>network ls</c>) and returns its non-empty, trimmed lines.
    /// Podman reads the names first and then each object, so one removed in between — by any of the tests running
    /// beside this one — fails the whole listing with "no such …"; such a listing is repeated. Any other failure throws.
    /// </summary>
    public static async Task<string[]> LinesAsync(IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var argv = args.ToArray();
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await RunAsync(argv, stdin: null, cancellationToken);
            var raced = outcome.ExitCode != 0 && outcome.StandardError.Contains("no such", StringComparison.OrdinalIgnoreCase);
            if (!raced || attempt == 5)
            {
                return outcome.EnsureSuccess("podman " + string.Join(' ', argv)).StandardOutput
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
        }
    }

    /// <summary>The listing's lines, as <see cref="LinesAsync(IEnumerable{string}, CancellationToken)"/>.</summary>
    public static Task<string[]> LinesAsync(params string[] args) => LinesAsync(args, CancellationToken.None);

    /// <summary><c>podman container inspect</c> of one container.</summary>
    public static async Task<JsonElement> InspectAsync(string container)
    {
        using var doc = JsonDocument.Parse(await CheckAsync("container", "inspect", container));
        return doc.RootElement[0].Clone();
    }

    /// <summary>Names (as "kind name") of every container, volume and network whose name contains <paramref name="marker"/>.</summary>
    public static async Task<List<string>> ResourcesContainingAsync(string marker)
    {
        var found = new List<string>();
        foreach (var (kind, args) in Listings)
        {
            found.AddRange((await LinesAsync(args)).Where(n => n.Contains(marker, StringComparison.Ordinal)).Select(n => $"{kind} {n}"));
        }

        return found;
    }

    /// <summary>Names (as "kind name") of every container, volume and network labelled with <paramref name="label"/> (key=value).</summary>
    public static async Task<List<string>> ResourcesLabelledAsync(string label)
    {
        var found = new List<string>();
        foreach (var (kind, args) in Listings)
        {
            found.AddRange((await LinesAsync([.. args, "--filter", $"label={label}"])).Select(n => $"{kind} {n}"));
        }

        return found;
    }

    /// <summary>Removes every container, network and volume whose name contains <paramref name="marker"/> (a unique run id), and nothing else.</summary>
    public static async Task RemoveContainingAsync(string marker) => await RemoveAsync(await ResourcesContainingAsync(marker));

    /// <summary>Removes every container, network and volume labelled with <paramref name="label"/> (key=value), and nothing else.</summary>
    public static async Task RemoveLabelledAsync(string label) => await RemoveAsync(await ResourcesLabelledAsync(label));

    /// <summary>Containers first (they hold the networks and volumes).</summary>
    private static async Task RemoveAsync(List<string> resources)
    {
        foreach (var kind in new[] { "container", "network", "volume" })
        {
            foreach (var resource in resources.Where(r => r.StartsWith(kind + " ", StringComparison.Ordinal)))
            {
                var name = resource[(kind.Length + 1)..];
                _ = kind switch
                {
                    "container" => await RunAsync("rm", "-f", "-t", "0", name),
                    "network" => await RunAsync("network", "rm", "-f", name),
                    _ => await RunAsync("volume", "rm", "-f", name),
                };
            }
        }
    }
}
