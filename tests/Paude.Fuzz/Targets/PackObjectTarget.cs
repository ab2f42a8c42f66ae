using System.Reflection;

namespace Paude.Fuzz.Targets;

/// <summary>
/// The object parsers the pack connectivity check runs on every commit, tag and tree a session sends (private in
/// <c>PackConnectivity</c>, reached by reflection so the product keeps them private). The first input byte picks
/// the parser. Promises: no exception at all (malformed objects give <c>null</c>, which the check turns into a typed
/// refusal); ids returned are 40 lower-case hex digits.
/// </summary>
public sealed class PackObjectTarget : IFuzzTarget
{
    private static readonly Type Connectivity = typeof(Paude.Sync.Transport.PackConnectivity);

    private static readonly Func<byte[], string, string?, List<string>?> HeaderIds =
        Connectivity.GetMethod("HeaderIds", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<Func<byte[], string, string?, List<string>?>>();

    private static readonly Func<byte[], List<string>?> TreeIds =
        Connectivity.GetMethod("TreeIds", BindingFlags.NonPublic | BindingFlags.Static)!.CreateDelegate<Func<byte[], List<string>?>>();

    public string Name => "packobject";

    public void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var data = input[1..];
        var ids = (input[0] % 3) switch
        {
            0 => HeaderIds(data, "tree ", "parent "),
            1 => HeaderIds(data, "object ", null),
            _ => TreeIds(data),
        };
        InvariantViolationException.Check(ids is null || ids.All(id => id.Length == 40 && id.All(char.IsAsciiHexDigitLower)), "packobject: an id is not 40 lower-case hex digits");
    }
}
