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
    /// moves to (empty: it stays). stdin = a line <c>&lt;header length&gt; &lt;1 when a tar follows&gt; &lt;pack
    /// length&gt; &lt;index entries length&gt;</c>, the header (records <c>&lt;W|D&gt;&lt;expected&gt;&lt;new&gt;&lt;path&gt;\0</c>,
    /// hashes as 64 hex or 64 <c>-</c>), the index entries the new commits change (<c>--index-info -z</c> records), the
    /// pack of the new commits' objects, then the tar of the written files. The state checks run
    /// before stdin is read, so the host can start this program first and plan while podman starts it; end-of-file
    /// before the first line (nothing to push, or the host gave up) exits 5 with nothing changed.
    /// <para>
    /// Checks before changing anything: HEAD is the branch at the commit (and, when the branch moves, nothing is
    /// staged in the index: the full path handles that), and every path to write or delete holds what the last push
    /// left there (expected) or already what this push brings (new) — so an agent's edit is never overwritten
    /// silently. Only those paths are hashed: a push of one file costs one file's hash, not a listing.
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
    public const string Apply = Files.StagingScripts.Functions + """
        set -e
        export LC_ALL=C
        cd -- "$1" 2>/dev/null || exit 3
        branch=$2; commit=$3; force=$4; target=${5:-$3}
        st=$(git rev-parse 'HEAD^{commit}' --symbolic-full-name HEAD 2>/dev/null </dev/null) || exit 3
        [ "$st" = "$commit"$'\n'"refs/heads/$branch" ] || exit 3
        if [ "$target" != "$commit" ]; then git diff-index --cached --quiet "$commit" -- </dev/null >/dev/null 2>&1 || exit 3; fi
        IFS=' ' read -r n tar pack idx || exit 5 # end-of-file: nothing to push (the state above is verified)
        case "$n" in ''|*[!0-9]*) exit 5 ;; esac
        pack=${pack:-0}; idx=${idx:-0}
        case "$pack$idx" in *[!0-9]*) exit 5 ;; esac
        dash=----------------------------------------------------------------
        ops=(); exp=(); new=(); paths=()
        if [ "$n" -gt 0 ]; then
          while IFS= read -r -d '' r; do
            ops+=("${r:0:1}"); exp+=("${r:1:64}"); new+=("${r:65:64}"); paths+=("${r:129}")
          done < <(head -c "$n")
        fi
        declare -A have=()
        reg=()
        for p in "${paths[@]}"; do
          if [ -L "$p" ]; then have["$p"]=other
          elif [ -f "$p" ]; then reg+=("$p")
          elif [ -e "$p" ]; then have["$p"]=other
          fi
        done
        if [ "${#reg[@]}" -gt 0 ]; then
          while IFS= read -r -d '' r; do have["${r:66}"]=${r:0:64}; done < <(printf '%s\0' "${reg[@]}" | xargs -0 sha256sum -z --)
        fi
        risk=()
        for i in "${!paths[@]}"; do
          p=${paths[$i]}; a=${have["$p"]:-$dash}
          if [ "$a" != "${exp[$i]}" ] && [ "$a" != "${new[$i]}" ]; then risk+=("$p"); fi
        done
        if [ "${#risk[@]}" -gt 0 ] && [ "$force" != 1 ]; then printf 'R%s\0' "${risk[@]}"; exit 4; fi
        # Stage only when something arrives (a push with nothing to write starts no extra process).
        if [ "$tar" = 1 ] || [ "$idx" -gt 0 ]; then paude_stage; else paude_clean; stg=; fi
        if [ "$idx" -gt 0 ]; then head -c "$idx" > "$stg.index-info"; fi
        if [ "$pack" -gt 0 ]; then
          head -c "$pack" | git index-pack --stdin --fix-thin >/dev/null || { echo "the pushed pack did not arrive intact" >&2; paude_unstage; exit 6; }
        fi
        if [ "$target" != "$commit" ]; then
          git rev-list --quiet --objects "$target" --not "$commit" </dev/null >/dev/null 2>&1 || { echo "the pushed commit is incomplete" >&2; paude_unstage; exit 6; }
        fi
        sp=(); sh=()
        for i in "${!paths[@]}"; do
          if [ "${ops[$i]}" = W ]; then sp+=("${paths[$i]}"); sh+=("${new[$i]}"); fi
        done
        if [ "$tar" = 1 ]; then paude_receive; fi
        if [ "${#risk[@]}" -gt 0 ]; then
          printf 'F%s\0' "${risk[@]}"
          tracked=()
          for p in "${risk[@]}"; do
            if git --literal-pathspecs ls-files --error-unmatch -- "$p" >/dev/null 2>&1 </dev/null; then tracked+=("$p"); fi
          done
          if [ "${#tracked[@]}" -gt 0 ]; then
            ident=()
            git config user.email >/dev/null 2>&1 </dev/null || ident=(-c user.name=paude-sync -c user.email=paude-sync@localhost)
            git "${ident[@]}" --literal-pathspecs stash push -q -m "paude sync: session work before a forced push" -- "${tracked[@]}" </dev/null >&2 || true
          fi
        fi
        dp=()
        for i in "${!paths[@]}"; do
          if [ "${ops[$i]}" = D ]; then dp+=("${paths[$i]}"); fi
        done
        paude_place
        if [ "$target" != "$commit" ]; then
          git update-ref -m "paude sync: push" "refs/heads/$branch" "$target" "$commit" </dev/null || { echo "the session's branch moved during the push" >&2; paude_unstage; exit 7; }
          if [ "$idx" -gt 0 ]; then git update-index -z --index-info < "$stg.index-info"; fi
        fi
        paude_unstage
        printf 'K\0'
        """;

    /// <summary>
    /// The first push into an empty (or missing) session workspace. $1 = workspace, $2 = branch, $3 = commit.
    /// stdin = a line <c>1</c>, then a tar of the working files, of the commit's git objects as loose objects
    /// (<c>.git/objects/xx/…</c>), of the repository's packs (<c>.git/objects/pack/*.pack</c>, when part of the
    /// history is packed, each with its <c>.idx</c> when the host has one) and of the rest of the repository (HEAD,
    /// config, the branch's ref, an index of the commit's tree: <see cref="GitIndexFile"/>), ending with the empty
    /// entry <c>.git/paude-end</c>. Everything is staged first: a pack that came without its index is indexed (<c>git
    /// index-pack</c> checks every object and builds the index), HEAD must resolve to the commit, then the repository
    /// and the working files are renamed into the (empty) workspace with one <c>mv -n</c>, so nothing existing can be
    /// replaced and an interrupted push leaves no partly written file. Exits 3, changing nothing, when the workspace is not empty
    /// (the caller takes the full path, which never overwrites session files); end-of-file before the first line
    /// exits 5 unchanged; an incomplete archive or a corrupt pack exits 6 with nothing placed.
    /// </summary>
    public const string First = Files.StagingScripts.Functions + """
        set -e
        export LC_ALL=C
        ws=$1; commit=$3 # $2, the branch, arrives as .git/HEAD in the archive
        if [ -d "$ws" ] && [ ! -L "$ws" ]; then rm -rf -- "$ws"/.paude-staging-*; fi
        if [ -e "$ws" ] || [ -L "$ws" ]; then
          [ -d "$ws" ] && [ ! -L "$ws" ] && [ -z "$(ls -A -- "$ws")" ] || exit 3
        fi
        IFS= read -r go || exit 5
        [ "$go" = 1 ] || exit 5
        mkdir -p -- "$ws"
        cd -- "$ws"
        paude_stage
        if ! tar -x --no-same-owner -f - -C "$stg" || [ ! -f "$stg/.git/paude-end" ]; then
          echo "the first push did not arrive whole" >&2; paude_unstage; exit 6
        fi
        rm -f -- "$stg/.git/paude-end"
        shopt -s nullglob dotglob
        for p in "$stg"/.git/objects/pack/*.pack; do
          [ -f "${p%.pack}.idx" ] && continue
          git index-pack "$p" </dev/null >/dev/null || { echo "a pushed pack is corrupt" >&2; paude_unstage; exit 6; }
        done
        # The repository arrived whole (HEAD, config, the branch, the index, the objects): its HEAD must be the commit.
        if [ "$(git --git-dir="$stg/.git" rev-parse -q --verify 'HEAD^{commit}' </dev/null)" != "$commit" ]; then
          echo "the pushed repository is incomplete" >&2; paude_unstage; exit 6
        fi
        # One mv for all top-level entries; -n never replaces what appeared in the workspace since the check above.
        mv -n -t . -- "$stg"/*
        left=("$stg"/*)
        if [ "${#left[@]}" -gt 0 ]; then
          echo "the session workspace changed during the first push; not placed: ${left[*]##*/}" >&2; paude_unstage; exit 6
        fi
        paude_unstage
        printf 'K\0'
        """;
}
