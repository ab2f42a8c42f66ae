namespace Paude.Backends.Podman;

/// <summary>A finished push (<see cref="PodmanImagePusher.PushAsync"/>).</summary>
/// <param name="Reference">The tagged reference pushed, e.g. <c>quay.io/team/paude-agent:v1</c>.</param>
/// <param name="Digest">The manifest digest the registry stored, <c>sha256:…</c>.</param>
/// <param name="Duration">How long the push took.</param>
public sealed record ImagePushResult(string Reference, string Digest, TimeSpan Duration)
{
    /// <summary>
    /// The reference by digest, <c>host/path@sha256:…</c>: what to give <c>SessionSpec.AgentImage</c> (the exact image
    /// pushed, whatever the tag points at later).
    /// </summary>
    public string DigestReference => $"{Reference[..Reference.LastIndexOf(':')]}@{Digest}";
}
