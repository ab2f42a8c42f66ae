namespace Paude.Tests.Model;

/// <summary>
/// How much the model test does. CI: a few seeded sequences (bounded to about a minute and a half). People:
/// <c>PAUDE_MODEL_SOAK_SECONDS=1800</c> runs random sequences for that long; <c>PAUDE_MODEL_SEED</c> replays one
/// (CsCheck prints it on a failure, with the shrunk sequence); with a soak time too, it shrinks from there.
/// </summary>
public static class ModelSwitches
{
    /// <summary>
    /// Issue 12's promises (type changes file↔folder are conflicts; every destroyed local content is backed up).
    /// On by default since the sync-safety work is merged; <c>PAUDE_MODEL_SYNC_SAFETY=0</c> checks only the older
    /// promises (to tell a regression of those apart from one of these).
    /// </summary>
    public static bool SyncSafety => Environment.GetEnvironmentVariable("PAUDE_MODEL_SYNC_SAFETY") != "0";

    public static int SoakSeconds => int.TryParse(Environment.GetEnvironmentVariable("PAUDE_MODEL_SOAK_SECONDS"), out var s) && s > 0 ? s : 0;

    public static string? Seed => Environment.GetEnvironmentVariable("PAUDE_MODEL_SEED") is { Length: > 0 } seed ? seed : null;

    /// <summary>The sequences every CI run checks (CsCheck seeds; each one fresh local repository and workspaces).</summary>
    public static readonly string?[] CiSeeds = ["0N0XIzNsQ0O2", "3kQ9xWm2Lp0A", "Zt7YcB1nR4eE", "h5VdU8sJq2Mk"];

    /// <summary>Longest generated sequence (the soak goes longer).</summary>
    public static int MaxLength => SoakSeconds > 0 ? 40 : 12;
}
