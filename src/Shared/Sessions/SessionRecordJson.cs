using System.Text.Json.Serialization;

namespace Paude.Sessions;

// Shared source (src/Shared): see SessionRecord. Generated at compile time in each backend that compiles the codec,
// so reading and writing the record needs no reflection (the backends are trim- and NativeAOT-safe).
/// <summary>The JSON inside a stored session record: the agent's argv and its cluster part.</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(SessionClusterSpec))]
internal sealed partial class SessionRecordJson : JsonSerializerContext;
