using System.Text.Json.Serialization;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The JSON this backend writes into and reads from labels (agent argv, extra environment), generated at compile
/// time: no reflection, so the package is trim- and NativeAOT-safe (the sample CLI is published with NativeAOT).
/// </summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class PodmanJson : JsonSerializerContext;
