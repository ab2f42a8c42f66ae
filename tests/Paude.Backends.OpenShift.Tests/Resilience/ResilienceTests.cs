using System.Net;
using k8s.Autorest;
using Paude.Backends.OpenShift.Resilience;

namespace Paude.Backends.OpenShift.Tests.Resilience;

public sealed class ResilienceTests
{
    private static HttpOperationException Http(HttpStatusCode code, string? retryAfter = null)
    {
        var message = new HttpResponseMessage(code);
        if (retryAfter is not null)
        {
            message.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        }

        return new HttpOperationException($"{code}") { Response = new HttpResponseMessageWrapper(message, "{\"message\":\"busy\"}") };
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.Conflict, false)]
    [InlineData(HttpStatusCode.Forbidden, false)]
    public void Only_429_and_5xx_are_transient(HttpStatusCode code, bool transient) =>
        Assert.Equal(transient, KubeResilience.IsTransient(Http(code)));

    [Fact]
    public void Dropped_connections_are_transient() =>
        Assert.True(KubeResilience.IsTransient(new HttpRequestException("connection reset")));

    [Fact]
    public void Retry_after_is_honoured_and_capped()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), KubeResilience.RetryAfter(Http(HttpStatusCode.TooManyRequests, "2")));
        Assert.Equal(TimeSpan.FromSeconds(30), KubeResilience.RetryAfter(Http(HttpStatusCode.TooManyRequests, "3600")));
        Assert.Null(KubeResilience.RetryAfter(Http(HttpStatusCode.InternalServerError, "2")));
    }

    [Fact]
    public async Task Pipeline_retries_transient_failures_and_not_client_errors()
    {
        var pipeline = KubeResilience.Build(new OpenShiftBackendOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(1) }, TimeProvider.System);
        var calls = 0;
        var result = await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return calls < 3 ? throw Http(calls == 1 ? HttpStatusCode.TooManyRequests : HttpStatusCode.InternalServerError, "0") : ValueTask.FromResult(7);
        });
        Assert.Equal(7, result);
        Assert.Equal(3, calls);

        calls = 0;
        await Assert.ThrowsAsync<HttpOperationException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return ValueTask.FromException<int>(Http(HttpStatusCode.NotFound));
        }));
        Assert.Equal(1, calls);
    }
}
