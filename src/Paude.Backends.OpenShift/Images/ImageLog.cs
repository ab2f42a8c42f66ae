using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Images;

/// <summary>Source-generated log messages of the image builder and pull secrets (event ids 6100-6109).</summary>
internal static partial class ImageLog
{
    [LoggerMessage(6100, LogLevel.Information, "Build {Build} started in namespace {Namespace}")]
    public static partial void Started(ILogger logger, string build, string @namespace);

    [LoggerMessage(6101, LogLevel.Information, "Build {Build} pushed {Image} in {Seconds:F1} s")]
    public static partial void Finished(ILogger logger, string build, string image, double seconds);

    [LoggerMessage(6102, LogLevel.Information, "Image pull Secret {Secret} {Action} in namespace {Namespace} for registry {Server}")]
    public static partial void PullSecretWritten(ILogger logger, string secret, string @namespace, string server, string action);
}
