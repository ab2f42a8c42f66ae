using System.Diagnostics.CodeAnalysis;
using Paude.Fuzz.Targets;

namespace Paude.Fuzz;

/// <summary>Every fuzz target by name.</summary>
public static class FuzzTargets
{
    private static readonly IFuzzTarget[] All =
    [
        new TarTarget(),
        new PktLineTarget(),
        new PackIndexTarget(),
        new PackObjectTarget(),
        new ListingTarget(),
        new RepositoryStateTarget(),
        new SquidLogTarget(),
        new CredentialPartsTarget(),
        new SyncManifestTarget(),
        new ExecStatusTarget(),
        new ExecFramesTarget(),
        new HelperFramesTarget(),
        new SpdyTarget(),
    ];

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static bool TryGet(string name, [NotNullWhen(true)] out IFuzzTarget? target)
    {
        target = All.FirstOrDefault(t => t.Name == name);
        return target is not null;
    }
}
