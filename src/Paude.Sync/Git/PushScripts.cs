using Paude.Scripting;

namespace Paude.Sync.Git;

/// <summary>
/// The one program a fast push runs in the session (bash; values arrive as positional arguments only).
/// </summary>
internal static class PushScripts
{
    /// <summary>Exit code: the session is not where the last push left it (other branch, other commit, no repository).</summary>
    public const int StateMoved = 3;

    /// <summary>
    /// Exit code: some paths hold session work the push would replace; one <c>R&lt;path&gt;</c> record each. When
    /// forced, the same paths come back as <c>F&lt;path&gt;</c> records before the final <c>K</c>.
    /// </summary>
    public const int AtRisk = 4;

    /// <summary>Exit code: end-of-file before the first line; nothing was changed.</summary>
    public const int NothingSent = 5;

    /// <summary>Length of a SHA-256 in hex; a run of this many <c>-</c> means "no such file".</summary>
    public const int HashLength = 64;

    /// <summary>Exit code: the session's branch moved while the files were placed; the ref was not updated.</summary>
    public const int BranchMoved = 7;

    /// <summary>
    /// $1 = workspace, $2 = branch, $3 = commit the session must be at, $4 = force (1/0), $5 = the commit the branch
    /// moves to (empty: it stays), $6 = the backup folder (workspace-relative) where a forced push first copies every
    /// session file it replaces (stdout <c>B</c> when it made it). stdin = a line <c>&lt;header length&gt; &lt;1 when a tar follows&gt; &lt;pack
    /// length&gt; &lt;index entries length&gt;</c>, the header (records <c>&lt;W|D&gt;&lt;expected&gt;&lt;new&gt;&lt;path&gt;\0</c>,
    /// hashes as 64 hex or 64 <c>-</c>), the index entries the new commits change (<c>--index-info -z</c> records), the
    /// pack of the new commits' objects, then the tar of the written files. The state checks run
    /// before stdin is read, so the host can start this program first and plan while podman starts it; end-of-file
    /// before the first line (nothing to push, or the host gave up) exits 5 with nothing changed.
    /// <para>
    /// Checks before changing anything: HEAD is the branch at the commit (and, when the branch moves, nothing is
    /// staged in the index: the full path handles that), and every path to write or delete holds what the last push
    /// left there (expected) or already what this push brings (new) — so an agent's edit is never overwritten
    /// silently. Only those paths are hashed: a push of one file costs one file's hash, not a listing. Before the
    /// hashes, the full push's type check (<see cref="Files.SafePlaceScript"/> <c>check</c>): a write behind a session
    /// folder, link, or a link or file among its leading folders is a conflict (<c>C&lt;path&gt;</c>, never hashed,
    /// never placed; the rest goes on) or, forced, moved into the backup folder (<c>B&lt;path&gt;</c>); a deletion
    /// where the session holds nothing or a folder deletes nothing (<c>A&lt;path&gt;</c>); a write where it holds
    /// nothing is not at risk (no content is lost). A dry run therefore promises what this push does.
    /// </para>
    /// <para>
    /// Then, in order: the pack is indexed (<c>git index-pack</c> verifies every object; only adds objects) and the
    /// new commit checked to be complete; the files are staged and verified; only then are deletions applied and files
    /// renamed into place; last the branch moves (<c>git update-ref</c> with the expected old value: refused, exit 7,
    /// if the agent committed meanwhile) and the index follows: only the entries the new commits change are replaced
    /// (<c>git update-index --index-info</c>), every other entry keeps its stat data (a two-tree <c>read-tree</c>
    /// walks both whole trees: ~50 ms of CPU for 5,000 files, against a few ms).
    /// </para>
    /// </summary>
    public static readonly string Apply = Files.StagingScripts.Functions + SessionScript.Load("push-apply.sh");

    /// <summary>
    /// The first push into an empty (or missing) session workspace. $1 = workspace, $2 = branch, $3 = commit.
    /// stdin = a line <c>1</c>, then a tar of the working files, of the commit's git objects as loose objects
    /// (<c>.git/objects/xx/…</c>), of one pack of the commit's packed objects (<c>.git/objects/pack/*.pack</c> with
    /// the <c>.idx</c> the host wrote, <see cref="BranchPack"/>; when part of the history is packed) and of the rest of the repository (HEAD,
    /// config, the branch's ref, an index of the commit's tree: <see cref="GitIndexFile"/>), ending with the empty
    /// entry <c>.git/paude-end</c>. Everything is staged first: a pack that came without its index is indexed (<c>git
    /// index-pack</c> checks every object and builds the index), HEAD must resolve to the commit, then the repository
    /// and the working files are renamed into the (empty) workspace with one <c>mv -n</c>, so nothing existing can be
    /// replaced and an interrupted push leaves no partly written file. Exits 3, changing nothing, when the workspace is not empty
    /// (the caller takes the full path, which never overwrites session files); end-of-file before the first line
    /// exits 5 unchanged; an incomplete archive or a corrupt pack exits 6 with nothing placed.
    /// </summary>
    public static readonly string First = Files.StagingScripts.Functions + SessionScript.Load("push-first.sh");
}
