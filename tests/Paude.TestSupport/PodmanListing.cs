namespace Paude.TestSupport;

/// <summary>
/// Podman listings (<c>ps -a</c>, <c>volume ls</c>, <c>network ls</c>) for test set-up, assertions and clean-up.
/// Podman reads the names first and then each object, so one removed in between — by any of the tests running
/// beside this one — fails the whole listing with "no such …"; such a listing is repeated. Any other failure throws.
/// </summary>
public static class PodmanListing
{
    /// <summary>Runs <c>podman</c> with <paramref name="args"/> (a listing) and returns its non-empty, trimmed lines.</summary>
    public static async Task<string[]> LinesAsync(IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var argv = args.ToArray();
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await ProcessRunner.RunAsync("podman", argv, cancellationToken: cancellationToken);
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
}
