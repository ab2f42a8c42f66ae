using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using k8s.Autorest;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Paude.Backends.OpenShift.Resilience;

/// <summary>
/// The Polly pipeline every Kubernetes API call goes through: a per-attempt timeout, then retries with
/// exponential backoff and jitter for transient failures — 429 (honouring <c>Retry-After</c>), 5xx, dropped
/// connections and attempt timeouts. Client errors (4xx other than 429) are never retried.
/// </summary>
internal static class KubeResilience
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    public static ResiliencePipeline Build(OpenShiftBackendOptions options, TimeProvider timeProvider)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception)),
            });
        }

        builder.AddTimeout(options.RequestTimeout);
        return builder.Build();
    }

    /// <summary>Whether <paramref name="exception"/> is worth another attempt.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } r } => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500,
        HttpOperationException => true,
        HttpRequestException => true,
        TimeoutRejectedException => true,
        WebSocketException => true,
        IOException => true,
        _ => false,
    };

    /// <summary>The server's <c>Retry-After</c> on a 429/503, or <c>null</c> to use the backoff.</summary>
    public static TimeSpan? RetryAfter(Exception? exception)
    {
        if (exception is not HttpOperationException { Response: { } response } ||
            response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) ||
            response.Headers is null)
        {
            return null;
        }

        foreach (var header in response.Headers)
        {
            if (string.Equals(header.Key, "Retry-After", StringComparison.OrdinalIgnoreCase) &&
                header.Value.FirstOrDefault() is { } value &&
                int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                var delay = TimeSpan.FromSeconds(seconds);
                return delay > MaxRetryAfter ? MaxRetryAfter : delay;
            }
        }

        return null;
    }

    /// <summary>The HTTP status of an API failure, or <c>null</c> when it was not an HTTP answer.</summary>
    public static HttpStatusCode? StatusOf(Exception exception) =>
        exception is HttpOperationException { Response: { } r } ? r.StatusCode : null;
}
