using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Errors;

namespace Paude.Backends.Podman;

/// <summary>
/// Pushes a locally built image (the agent or proxy image) to a registry reference any Kubernetes can pull, with the
/// user's own <c>podman push</c>: the image is already in podman's storage, and podman brings the registry protocol
/// (blob existence checks, so an unchanged layer is not sent again; chunked uploads; token logins) and the user's
/// logins. A login given in the request is written to a private temporary auth file for this one push (never on the
/// command line, where the process list would show it) and removed afterwards; it never reaches a log or an exception.
/// </summary>
public sealed class PodmanImagePusher
{
    private readonly IPodmanClient _podman;
    private readonly ILogger _logger;

    /// <summary>Creates a pusher using the podman of <paramref name="options"/> (<see cref="PodmanBackendOptions.PodmanPath"/>).</summary>
    /// <param name="options">The backend options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where progress is logged (never the login).</param>
    public PodmanImagePusher(PodmanBackendOptions? options = null, ILogger<PodmanImagePusher>? logger = null)
        : this(new PodmanCli((options ?? new PodmanBackendOptions()).PodmanPath, "podman"), logger)
    {
    }

    internal PodmanImagePusher(IPodmanClient podman, ILogger? logger)
    {
        _podman = podman;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Pushes <see cref="ImagePushRequest.Source"/> to <see cref="ImagePushRequest.Destination"/>.</summary>
    /// <param name="request">What to push where, and the login.</param>
    /// <param name="cancellationToken">Cancels the push (podman is stopped).</param>
    /// <returns>The reference pushed and the digest the registry stored.</returns>
    /// <exception cref="InvalidOptionsException">The request is invalid (every problem listed; nothing pushed).</exception>
    /// <exception cref="ImageNotFoundException">The source image is not in podman's storage.</exception>
    /// <exception cref="BackendOperationException">The registry refused the push or could not be reached (podman's reason).</exception>
    /// <exception cref="BackendUnavailableException">podman is missing or broken.</exception>
    public async Task<ImagePushResult> PushAsync(ImagePushRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("image push", errors);
        }

        var exists = await _podman.RunAsync(["image", "exists", request.Source], null, cancellationToken).ConfigureAwait(false);
        if (!exists.Succeeded)
        {
            throw new ImageNotFoundException(request.Source, "not in podman's local storage (build it first, e.g. scripts/setup.sh, or podman pull it)");
        }

        if (!request.TlsVerify)
        {
            Log.PushWithoutTls(_logger, request.Registry);
        }

        var destination = request.TaggedDestination;
        Log.Pushing(_logger, request.Source, destination);
        var work = Directory.CreateTempSubdirectory("paude-push-"); // 0700: only this user reads the login in it
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            var digestFile = Path.Combine(work.FullName, "digest");
            var args = new List<string> { "push", "--quiet", "--digestfile", digestFile, $"--tls-verify={(request.TlsVerify ? "true" : "false")}" };
            if (request.Username is not null)
            {
                args.AddRange(["--authfile", WriteAuthFile(work.FullName, request)]);
            }

            args.AddRange([request.Source, destination]);
            PodmanResult result;
            try
            {
                result = await _podman.RunAsync(args, null, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new BackendOperationException($"podman push to {destination} did not finish within {request.Timeout}");
            }

            if (!result.Succeeded)
            {
                throw new BackendOperationException($"podman push to {destination} failed: {Redact(result.StandardError.Trim(), request.Password)}");
            }

            var digest = File.Exists(digestFile) ? (await File.ReadAllTextAsync(digestFile, cancellationToken).ConfigureAwait(false)).Trim() : "";
            if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71)
            {
                throw new BackendOperationException($"podman push to {destination} reported no manifest digest");
            }

            var pushed = new ImagePushResult(destination, digest, watch.Elapsed);
            Log.Pushed(_logger, pushed.DigestReference, (long)pushed.Duration.TotalMilliseconds);
            return pushed;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>A containers-auth.json with just this registry's login (the format <c>podman login</c> writes).</summary>
    private static string WriteAuthFile(string directory, ImagePushRequest request)
    {
        var path = Path.Combine(directory, "auth.json");
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("auths");
            json.WriteStartObject(request.Registry);
            json.WriteString("auth", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{request.Username}:{request.Password}")));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        File.WriteAllBytes(path, buffer.ToArray());
        return path;
    }

    /// <summary>podman does not print a login, but a registry's message might echo one back: never pass it on.</summary>
    private static string Redact(string text, string? password) =>
        string.IsNullOrEmpty(password) ? text : text.Replace(password, "***", StringComparison.Ordinal);
}
