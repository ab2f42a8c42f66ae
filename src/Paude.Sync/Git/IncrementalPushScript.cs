namespace Paude.Sync.Git;

/// <summary>
/// The one program an incremental push runs in the session (bash; values arrive as positional arguments only).
/// </summary>
internal static class IncrementalPushScript
{
    /// <summary>Exit code: the session is not where the last push left it (other branch, other commit, no repository).</summary>
    public const int StateMoved = 3;

    /// <summary>
    /// Exit code: some paths hold session work the push would replace; one <c>R&lt;path&gt;</c> record each. When
    /// forced, the same paths come back as <c>F&lt;path&gt;</c> records before the final <c>K</c>.
    /// </summary>
    public const int AtRisk = 4;

    /// <summary>Length of a SHA-256 in hex; a run of this many <c>-</c> means "no such file".</summary>
    public const int HashLength = 64;

    /// <summary>
    /// $1 = workspace, $2 = branch, $3 = commit the session must be at, $4 = force (1/0), $5 = header length,
    /// $6 = 1 when a tar follows the header. stdin = the header (records <c>&lt;W|D&gt;&lt;expected&gt;&lt;new&gt;&lt;path&gt;\0</c>,
    /// hashes as 64 hex or 64 <c>-</c>) then the tar of the written files.
    /// <para>
    /// Checks before changing anything: HEAD is the branch at the commit, and every path to write or delete holds
    /// what the last push left there (expected) or already what this push brings (new) — so an agent's edit is never
    /// overwritten silently. Only those paths are hashed: a push of one file costs one file's hash, not a listing.
    /// </para>
    /// </summary>
    public const string Apply = """
        set -e
        export LC_ALL=C
        cd -- "$1" 2>/dev/null || exit 3
        branch=$2; commit=$3; force=$4; n=$5; tar=$6
        [ "$(git symbolic-ref -q HEAD </dev/null || true)" = "refs/heads/$branch" ] || exit 3
        [ "$(git rev-parse -q --verify 'HEAD^{commit}' </dev/null || true)" = "$commit" ] || exit 3
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
        if [ "${#risk[@]}" -gt 0 ]; then
          if [ "$force" != 1 ]; then printf 'R%s\0' "${risk[@]}"; exit 4; fi
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
        for i in "${!paths[@]}"; do
          if [ "${ops[$i]}" = D ]; then rm -f -- "${paths[$i]}"; fi
        done
        if [ "$tar" = 1 ]; then tar -x --no-same-owner -f -; fi
        printf 'K\0'
        """;
}
