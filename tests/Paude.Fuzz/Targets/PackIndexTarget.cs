using System.Buffers.Binary;
using Paude.Sync;
using Paude.Sync.Transport;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="PackConnectivity.ReadIndex"/> on a pack index built from a session's pack. Promises: only
/// <see cref="SyncTransportException"/>; on success exactly the count the fan-out table names, each a 40-digit id.
/// </summary>
public sealed class PackIndexTarget : IFuzzTarget
{
    public string Name => "packidx";

    public void Run(byte[] input)
    {
        var path = Path.Combine(Path.GetTempPath(), "paude-fuzz-idx-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, input);
        try
        {
            var ids = PackConnectivity.ReadIndex(path);
            var count = BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(8 + (255 * 4)));
            InvariantViolationException.Check(ids.Count <= count, $"packidx: {ids.Count} ids for a count of {count}");
            InvariantViolationException.Check(ids.All(id => id.Length == 40 && id.All(char.IsAsciiHexDigitLower)), "packidx: an id is not 40 lower-case hex digits");
        }
        catch (SyncTransportException)
        {
        }
        finally
        {
            File.Delete(path);
        }
    }
}
