using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Errors;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The backend's access to the engine: runs podman commands, turns failures into typed errors with podman's own
/// message, and lists containers, volumes and networks by label (repeating a listing that raced with a removal).
/// </summary>
internal sealed class PodmanEngine(string backendName, IPodmanClient podman, TimeProvider time, ILogger logger)
{
    /// <summary>How often a listing that raced with a removal is repeated before its error is reported.</summary>
    private const int ListingAttempts = 5;

    public Task<PodmanResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null) =>
        podman.RunAsync(arguments, stdin, cancellationToken);

    /// <summary>Runs a podman command that must succeed; failure becomes a typed error with podman's own message.</summary>
    public async Task<PodmanResult> MustAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken, Func<Stream, CancellationToken, Task>? stdin = null)
    {
        var result = await RunAsync(arguments, cancellationToken, stdin).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failure(what, result);
        }

        return result;
    }

    /// <summary>Fails with <see cref="ImageNotFoundException"/> unless <paramref name="image"/> is in local storage (Paude never pulls).</summary>
    public async Task RequireImageAsync(string image, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["image", "exists", image], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 1)
        {
            throw ImageNotFound(image);
        }

        if (!result.Succeeded)
        {
            throw Failure($"checking image '{image}'", result);
        }
    }

    public PaudeException Failure(string what, PodmanResult result)
    {
        if (PodmanResources.MissingDevice(backendName, result) is { } missing)
        {
            return missing;
        }

        var error = PodmanCli.Trim(result.StandardError);
        return new BackendOperationException($"Backend '{backendName}': {what} failed (podman exit code {result.ExitCode}): {error}");
    }

    /// <summary>The error for an image that is not in local storage (Paude never pulls).</summary>
    public static ImageNotFoundException ImageNotFound(string image) =>
        new(image, "it is not in local Podman storage (Paude never pulls); build it first, e.g. with scripts/setup.sh");

    /// <summary>Whether a <c>run</c>/<c>create</c> with <c>--pull=never</c> failed because its image is not in local storage.</summary>
    public static bool IsImageNotKnown(PodmanResult result) =>
        result.StandardError.Contains("image not known", StringComparison.OrdinalIgnoreCase)
        || result.StandardError.Contains("no such image", StringComparison.OrdinalIgnoreCase);

    public static bool IsConflict(PodmanResult result) =>
        result.StandardError.Contains("already exists", StringComparison.OrdinalIgnoreCase)
        || result.StandardError.Contains("already in use", StringComparison.OrdinalIgnoreCase);

    public static bool IsNoSuch(PodmanResult result) =>
        result.StandardError.Contains("no such", StringComparison.OrdinalIgnoreCase)
        || result.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase);

    public async Task<List<ContainerEntry>> ListContainersAsync(string filter, CancellationToken cancellationToken)
    {
        var result = await ListingAsync(["ps", "-a", "--format", "json", "--filter", filter], "listing containers", cancellationToken).ConfigureAwait(false);
        return PodmanState.ParseContainers(result.StandardOutput);
    }

    public async Task<List<(string Name, IReadOnlyDictionary<string, string> Labels)>> ListNamedAsync(string kind, string filter, CancellationToken cancellationToken)
    {
        var result = await ListingAsync([kind, "ls", "--format", "json", "--filter", filter], $"listing {kind}s", cancellationToken).ConfigureAwait(false);
        return PodmanState.ParseNamed(result.StandardOutput);
    }

    /// <summary>
    /// Runs a podman listing. Podman reads the names first and then each object; one removed in between — by any
    /// other process, for any session, since the label filter is applied per object — fails the whole listing with
    /// "no such volume/container/network". That is a race, not a state, so the listing is repeated (briefly backing off).
    /// </summary>
    private async Task<PodmanResult> ListingAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return result;
            }

            if (!IsNoSuch(result) || attempt == ListingAttempts)
            {
                throw Failure(what, result);
            }

            Log.ListingRaced(logger, what, attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a podman process's stderr to its end, keeping the first 16 KiB for an error message.</summary>
    public static async Task<string> ReadCappedAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream);
        var buffer = new char[4096];
        var text = new System.Text.StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (text.Length < 16384)
            {
                text.Append(buffer, 0, read);
            }
        }

        return text.ToString();
    }
}
