using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;

namespace Paude.Backends.OpenShift.Images;

/// <summary>
/// Follows one Build to its end: streams <c>builds/&lt;n&gt;/log?follow=true</c> into a <see cref="LogTail"/> and reads the
/// Build until its phase is final. A log stream cut short (the HTTP client's timeout, a dropped connection) is
/// reopened and the bytes already shown are skipped, so each line arrives once.
/// </summary>
internal sealed class BuildFollower(Kubernetes client, RawRequestHandler raw, string ns, string buildName)
{
    private static readonly string[] FinalPhases = ["Complete", "Failed", "Error", "Cancelled"];
    private long _seen;

    public async Task<JsonElement> FollowAsync(LogTail tail, CancellationToken ct)
    {
        while (true)
        {
            await StreamLogAsync(tail, ct).ConfigureAwait(false);
            var build = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("build.openshift.io", "v1", ns, "builds", buildName, ct).ConfigureAwait(false);
            var phase = build.TryGetProperty("status", out var status) ? OpenShiftImageBuilder.Str(status, "phase") : null;
            if (phase is not null && FinalPhases.Contains(phase))
            {
                // The log may have grown between the stream's end and this read.
                await StreamLogAsync(tail, ct, follow: false).ConfigureAwait(false);
                tail.Flush();
                return build;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private async Task StreamLogAsync(LogTail tail, CancellationToken ct, bool follow = true)
    {
        var key = raw.Register(new RawCall("/log", follow ? "follow=true" : "", null, async (response, token) =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            long position = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
            {
                var skip = (int)Math.Clamp(_seen - position, 0, n);
                position += n;
                if (skip < n)
                {
                    tail.Add(buffer.AsSpan(skip, n - skip));
                    _seen = position;
                }
            }

            return "{}";
        }));
        try
        {
            var headers = new Dictionary<string, IReadOnlyList<string>> { [RawRequestHandler.Header] = [key] };
            using var _ = await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync(
                "build.openshift.io", "v1", ns, "builds", buildName, headers, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The client's own request timeout ended a long stream: the caller reopens it.
        }
        catch (HttpRequestException)
        {
            // Connection dropped: reopened by the caller.
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
        {
            // No log yet (the build pod has not started): the caller waits and asks again.
        }
        finally
        {
            raw.Forget(key);
        }
    }
}

/// <summary>Turns log bytes into lines for the caller's progress sink and keeps the last ones for error messages.</summary>
internal sealed class LogTail(IProgress<string>? sink)
{
    private const int Keep = 20;
    private readonly Queue<string> _lines = new();
    private readonly List<byte> _partial = [];

    public IReadOnlyList<string> Lines => [.. _lines];

    public void Add(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b == (byte)'\n')
            {
                Emit();
            }
            else
            {
                _partial.Add(b);
            }
        }
    }

    public void Flush()
    {
        if (_partial.Count > 0)
        {
            Emit();
        }
    }

    private void Emit()
    {
        var line = Encoding.UTF8.GetString([.. _partial]).TrimEnd('\r');
        _partial.Clear();
        _lines.Enqueue(line);
        if (_lines.Count > Keep)
        {
            _lines.Dequeue();
        }

        sink?.Report(line);
    }
}
