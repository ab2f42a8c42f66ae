using System.Text.Json.Nodes;

namespace Paude.TestSupport.StandInApi;

/// <summary>One request the stand-in received: what a test asserts on (credentials, tools, prompts).</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path and query.</param>
/// <param name="Host">The Host header (the name the client used).</param>
/// <param name="ApiKey">The <c>x-api-key</c> header, if any.</param>
/// <param name="Authorization">The <c>Authorization</c> header, if any.</param>
/// <param name="Body">The request body as text.</param>
public sealed record RecordedRequest(string Method, string Path, string Host, string? ApiKey, string? Authorization, string Body)
{
    /// <summary>The body parsed as JSON, or <c>null</c> when it is not JSON.</summary>
    public JsonNode? Json
    {
        get
        {
            try
            {
                return Body.Length == 0 ? null : JsonNode.Parse(Body);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Whether this is a Messages API call (Anthropic's path, or Vertex AI's, see <see cref="IsVertex"/>).</summary>
    public bool IsMessages => Method == "POST" && !Path.Contains("count_tokens", StringComparison.Ordinal) && !Path.Contains("count-tokens", StringComparison.Ordinal)
        && (Path.StartsWith("/v1/messages", StringComparison.Ordinal) || IsVertex);

    /// <summary>
    /// Whether this is Vertex AI's form of a Messages call: <c>…/projects/P/locations/R/publishers/anthropic/models/M:rawPredict</c>
    /// (or <c>:streamRawPredict</c>), the body a Messages request without <c>model</c>.
    /// </summary>
    public bool IsVertex => Path.Contains("/publishers/anthropic/models/", StringComparison.Ordinal)
        && (Path.Split('?')[0].EndsWith(":rawPredict", StringComparison.Ordinal) || Path.Split('?')[0].EndsWith(":streamRawPredict", StringComparison.Ordinal));

    /// <summary>One line for a failure message (never the body: it may be large).</summary>
    public override string ToString() => $"{Method} {Path} host={Host} key={(ApiKey is null ? "-" : "set")} bytes={Body.Length}";
}
