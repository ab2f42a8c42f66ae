using System.Text.Json.Serialization;
using Paude.Sync.Files;

namespace Paude.Sync.Manifest;

/// <summary>
/// The JSON Paude.Sync keeps on disk (the manifest, the apply journal), generated at compile time: no reflection,
/// so the package is trim- and NativeAOT-safe (the sample CLI is published with NativeAOT).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(SyncManifest))]
[JsonSerializable(typeof(LocalApplier.Journal))]
[JsonSerializable(typeof(Continuous.TwoWay.TwoWayBase))]
internal sealed partial class SyncJson : JsonSerializerContext;
