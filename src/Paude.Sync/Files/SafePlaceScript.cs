using Paude.Scripting;

namespace Paude.Sync.Files;

/// <summary>
/// The perl program every push uses to change the session's workspace (<c>Scripts/safe-place.pl</c>; its header is
/// the protocol). It runs in the session, where the agent can race it: it never writes or deletes through a symbolic
/// link, and never deletes session content the push does not own — a file↔folder, file↔link or folder↔link change
/// standing in the way of a write is a conflict (<c>check</c>), and a link planted between the plan and the write is
/// refused (<c>place</c>: one folder at a time, device and inode checked after each step).
/// </summary>
internal static class SafePlaceScript
{
    /// <summary>Exit code: a link or another type stood on the way of a write during the place step.</summary>
    public const int Refused = 8;

    /// <summary>Exit code of the check: obstacles of another type; the writes behind them are listed, nothing changed.</summary>
    public const int Conflicts = 4;

    /// <summary>A bash assignment of <c>paude_pl</c> (the program, in single quotes: it holds none itself).</summary>
    public static readonly string Assignment = "paude_pl='\n" + SessionScript.Load("safe-place.pl") + "'\n\n";
}
