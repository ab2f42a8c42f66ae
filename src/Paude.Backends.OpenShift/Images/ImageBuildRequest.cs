using Paude.Errors;

namespace Paude.Backends.OpenShift;

/// <summary>
/// What <see cref="OpenShiftImageBuilder.BuildAsync"/> builds: the directory uploaded as the build context, the
/// Containerfile in it, and the ImageStream tag <c>ImageStream:Tag</c> the image is pushed to.
/// </summary>
/// <param name="ImageStream">The ImageStream (and BuildConfig) name, a DNS-1123 label, e.g. <c>paude-agent</c>.</param>
/// <param name="ContextDirectory">The directory sent as the build context (all of it, as a tar archive).</param>
public sealed record ImageBuildRequest(string ImageStream, string ContextDirectory)
{
    /// <summary>The ImageStream tag to push to.</summary>
    public string Tag { get; init; } = "latest";

    /// <summary>The Containerfile, relative to the context; <c>null</c> takes <c>Containerfile</c>, else <c>Dockerfile</c>.</summary>
    public string? ContainerfilePath { get; init; }

    /// <summary>How long the build may take, upload included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The Containerfile this request uses (the default resolved against the context).</summary>
    internal string ResolvedContainerfile =>
        ContainerfilePath ?? (File.Exists(Path.Combine(ContextDirectory, "Containerfile")) ? "Containerfile" : "Dockerfile");

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem.</summary>
    internal void Validate()
    {
        var errors = new List<string>();
        if (ImageStream is null || !OpenShiftBackendOptions.IsDnsLabel(ImageStream))
        {
            errors.Add($"ImageStream: '{ImageStream}' is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)");
        }

        if (Tag is null || Tag.Length is 0 or > 128 || !Tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') || Tag[0] is '.' or '-')
        {
            errors.Add($"Tag: '{Tag}' is not an image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})");
        }

        if (string.IsNullOrWhiteSpace(ContextDirectory) || !Directory.Exists(ContextDirectory))
        {
            errors.Add($"ContextDirectory: '{ContextDirectory}' is not a directory");
        }
        else
        {
            var context = Path.GetFullPath(ContextDirectory);
            var file = Path.GetFullPath(Path.Combine(context, ResolvedContainerfile));
            if (!file.StartsWith(context + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                errors.Add($"ContainerfilePath: '{ContainerfilePath}' is outside the context directory");
            }
            else if (!File.Exists(file))
            {
                errors.Add($"ContainerfilePath: '{ResolvedContainerfile}' does not exist in '{ContextDirectory}'");
            }
        }

        if (Timeout <= TimeSpan.Zero)
        {
            errors.Add("Timeout: must be positive");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid image build request", errors);
        }
    }
}

/// <summary>A finished image build.</summary>
/// <param name="ImageReference">The ImageStream tag's pull spec (<c>image-registry…:5000/ns/stream:tag</c>): give it to a session as its image.</param>
/// <param name="DigestReference">The same image by digest (<c>…/ns/stream@sha256:…</c>), when the cluster reported one.</param>
/// <param name="BuildName">The Build object, e.g. <c>paude-agent-3</c>.</param>
/// <param name="Duration">Upload plus build, as measured here.</param>
public sealed record ImageBuildResult(string ImageReference, string? DigestReference, string BuildName, TimeSpan Duration);

/// <summary>A cluster build ended without an image; <see cref="Exception.Message"/> carries the reason and the end of the log.</summary>
public sealed class ImageBuildFailedException : PaudeException
{
    /// <summary>Creates the exception.</summary>
    public ImageBuildFailedException(string buildName, string phase, string? reason, string message, IReadOnlyList<string> logTail)
        : base($"Build {buildName} {phase}{(reason is null ? "" : $" ({reason})")}: {message}" +
            (logTail.Count == 0 ? "" : Environment.NewLine + string.Join(Environment.NewLine, logTail.Select(l => "  | " + l))))
    {
        BuildName = buildName;
        Phase = phase;
        Reason = reason;
        LogTail = logTail;
    }

    /// <summary>The Build object's name.</summary>
    public string BuildName { get; }

    /// <summary>The last phase seen (<c>Failed</c>, <c>Error</c>, <c>Cancelled</c>, or <c>Running</c> on a timeout).</summary>
    public string Phase { get; }

    /// <summary>OpenShift's reason, e.g. <c>DockerBuildFailed</c>, <c>FetchSourceFailed</c>.</summary>
    public string? Reason { get; }

    /// <summary>The last lines of the build log.</summary>
    public IReadOnlyList<string> LogTail { get; }
}
