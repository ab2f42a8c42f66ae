using CsCheck;
using Paude.Sync;

namespace Paude.Tests.Model;

/// <summary>What one step of a generated sequence does.</summary>
public enum OpKind
{
    // Ordered so CsCheck shrinks towards the plain ones: smaller kinds first.
    LocalEdit,
    SessionEdit,
    LocalCommit,
    SessionCommit,
    Pull,
    Push,
    LocalDelete,
    SessionDelete,
    LocalRename,
    SessionRename,
    LocalAmend,
    SessionAmend,
    LocalSwitchBranch,
    SessionSwitchBranch,
    LocalLink,
    SessionLink,
    SessionLinkOutside,
    KillMidPull,

    // Behind ModelSwitches.SyncSafety (issue 12's promises; off until that work is merged).
    LocalTypeChange,
    SessionTypeChange,
}

/// <summary>
/// One generated step. Operands are small indices (file A/B, session, branch), so a sequence is valid in any state:
/// a step that does not apply (renaming a missing file) does the nearest thing or nothing, and says so in the log.
/// </summary>
public readonly record struct SyncOp(OpKind Kind, int Session, int A, int B, SyncStrategy Strategy, bool Force)
{
    public static readonly string[] Files = ["f0.txt", "f1.txt", "d/f2.txt", "d/f3.txt"];

    public override string ToString() => Kind switch
    {
        OpKind.Pull or OpKind.Push or OpKind.KillMidPull => $"{Kind}(s{Session} {Strategy}{(Force ? " force" : string.Empty)}{(Kind == OpKind.KillMidPull ? $" after {A * 150} ms" : string.Empty)})",
        OpKind.LocalRename or OpKind.SessionRename or OpKind.LocalLink or OpKind.SessionLink => $"{Kind}({Where}{Files[A]} {Files[B]})",
        OpKind.LocalSwitchBranch or OpKind.SessionSwitchBranch => $"{Kind}({Where}b{B % 2})",
        _ => $"{Kind}({Where}{Files[A]})",
    };

    private string Where => Kind.ToString().StartsWith("Session", StringComparison.Ordinal) ? $"s{Session} " : string.Empty;

    /// <summary>Sequences of 1..<paramref name="maxLength"/> steps; type changes only when <paramref name="typeChanges"/>.</summary>
    public static Gen<SyncOp[]> Sequences(int maxLength, bool typeChanges)
    {
        var kinds = typeChanges ? (int)OpKind.SessionTypeChange : (int)OpKind.KillMidPull;
        var op = Gen.Select(Gen.Int[0, kinds], Gen.Int[0, 1], Gen.Int[0, Files.Length - 1], Gen.Int[0, Files.Length - 1], Gen.Int[0, 3], Gen.Bool,
            (k, s, a, b, st, f) => new SyncOp((OpKind)k, s, a, b, (SyncStrategy)st, f));
        return op.Array[1, maxLength];
    }
}
