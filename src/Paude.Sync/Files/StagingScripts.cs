namespace Paude.Sync.Files;

/// <summary>
/// Bash functions every push script starts with: a push writes nothing into the session's workspace before the
/// whole archive arrived and every file was verified against the hash the host sent (stage, then rename into place).
/// A push cancelled mid-transfer, or whose channel dropped, therefore leaves each session file with its old content
/// or its new content, never a truncated one; what it left in the staging folder is removed by the next push.
/// <para>
/// The staging folder is on the workspace's file system (inside <c>.git</c> when that is a folder, else a hidden
/// <c>.paude-staging-*</c> folder in the workspace, which listings and probes skip), so placing a file is a
/// <c>rename</c>. Stale folders are removed at the start of every push: syncs of one workspace are serialised by the
/// local lock, so the only staging folder that can exist then is one an interrupted push left behind.
/// </para>
/// </summary>
internal static class StagingScripts
{
    /// <summary>Exit code: the archive was incomplete or a file did not match its hash; nothing was placed.</summary>
    public const int TransferFailed = 6;

    /// <summary>
    /// <c>paude_clean</c> (removes stale staging folders; no process unless there is one), <c>paude_stage</c>
    /// (cleans, then creates <c>$stg</c>; run in the workspace), <c>paude_receive</c> (extracts the tar on stdin into
    /// <c>$stg</c>, then checks the files named in the arrays <c>sp</c> (paths) and <c>sh</c> (SHA-256, empty = not
    /// checked: a symlink); exits 6 after removing the folder otherwise), <c>paude_place</c> (deletes <c>dp</c>, then renames <c>sp</c>
    /// into place, creating parent folders, never through a link: <see cref="SafePlaceScript"/>, exit 8 on a refusal) and <c>paude_unstage</c>.
    /// </summary>
    public const string Functions = SafePlaceScript.Assignment + """
        paude_clean() {
          local old
          for old in ./.paude-staging-* ./.git/.paude-staging-*; do
            if [ -e "$old" ]; then rm -rf -- "$old"; fi
          done
        }
        paude_stage() {
          local base=.
          if [ -d .git ] && [ ! -L .git ]; then base=.git; fi
          paude_clean
          stg=$base/.paude-staging-$$-$RANDOM$RANDOM
          mkdir -m 700 -- "$stg"
        }
        paude_unstage() { if [ -n "$stg" ]; then rm -rf -- "$stg" "$stg.index-info"; fi; }
        paude_receive() {
          if ! tar -x --no-same-owner -f - -C "$stg"; then paude_unstage; exit 6; fi
          local i p sum bad=0
          declare -A got=()
          local check=()
          for i in "${!sp[@]}"; do
            p=${sp[$i]}
            if [ -z "${sh[$i]}" ]; then [ -L "$stg/$p" ] || bad=1
            elif [ -f "$stg/$p" ] && [ ! -L "$stg/$p" ]; then check+=("$p")
            else bad=1
            fi
          done
          if [ "${#check[@]}" -gt 256 ]; then
            while IFS= read -r -d '' sum; do got["${sum:66}"]=${sum:0:64}; done < <(cd -- "$stg" && printf '%s\0' "${check[@]}" | xargs -0 sha256sum -z --)
          elif [ "${#check[@]}" -gt 0 ]; then
            while IFS= read -r -d '' sum; do got["${sum:$((67 + ${#stg}))}"]=${sum:0:64}; done < <(sha256sum -z -- "${check[@]/#/$stg/}")
          fi
          for i in "${!sp[@]}"; do
            if [ -n "${sh[$i]}" ] && [ "${got["${sp[$i]}"]:-}" != "${sh[$i]}" ]; then bad=1; fi
          done
          if [ "$bad" != 0 ]; then echo "the pushed files did not arrive intact" >&2; paude_unstage; exit 6; fi
        }
        paude_place() {
          # Deletions (dp) then placements (sp), never through a link: see SafePlaceScript.
          [ "$((${#sp[@]} + ${#dp[@]}))" -gt 0 ] || return 0
          local root p d q; root=$(pwd -P)
          if ! command -v perl >/dev/null 2>&1; then
            # No perl in this image: the same refusals in bash, component by component (a race is not caught here).
            paude_nolink() { q=; local c parts; IFS=/ read -r -d '' -a parts < <(printf '%s\0' "$1") || true; for c in "${parts[@]}"; do q=${q:+$q/}$c; if [ -L "$q" ]; then echo "refused: $1: the symbolic link $q is on its way" >&2; exit 8; fi; done; }
            for p in "${dp[@]}"; do paude_nolink "$p"; if [ ! -d "$p" ]; then rm -f -- "$p"; fi; done
            for p in "${sp[@]}"; do
              paude_nolink "$p"; d=${p%/*}; if [ "$d" != "$p" ] && [ ! -d "$d" ]; then mkdir -p -- "$d"; fi
              if [ -d "$p" ]; then rmdir -- "$p" 2>/dev/null || { echo "refused: $p: a folder with content stands where the file goes" >&2; exit 8; }; fi
              mv -fT -- "$stg/$p" "$p"
            done
            return 0
          fi
          { if [ "${#dp[@]}" -gt 0 ]; then printf 'D%s\0' "${dp[@]}"; fi
            if [ "${#sp[@]}" -gt 0 ]; then printf 'W%s\0' "${sp[@]}"; fi
          } | perl -e "$paude_pl" place "$root/$stg" 0 "" "$root"
        }

        """;

    /// <summary>
    /// A staged upload of files. $1 = workspace (created when missing), $2 = force (1: obstacles of another type are
    /// moved to the backup folder $3), $3 = the backup folder (workspace-relative). stdin = a line
    /// <c>&lt;header length&gt;</c>, the header (records <c>&lt;sha256 or 64 '-' for a symlink&gt;&lt;path&gt;\0</c>
    /// for files to write, <c>D&lt;path&gt;\0</c> for files to delete), then a tar of exactly the files to write.
    /// Before reading the tar, the check of <see cref="SafePlaceScript"/> runs: without force, a type obstacle prints
    /// <c>C&lt;path&gt;</c> records and exits 4 with nothing changed; with force, <c>B&lt;path&gt;</c> per obstacle moved.
    /// Prints <c>K</c> when every deletion is done and every file is in place; exit 8 when a link stood on the way.
    /// </summary>
    public const string Upload = Functions + """
        set -e
        export LC_ALL=C
        mkdir -p -- "$1"
        cd -- "$1"
        IFS=' ' read -r n || exit 5
        case "$n" in ''|*[!0-9]*) exit 5 ;; esac
        sp=(); sh=(); dp=()
        while IFS= read -r -d '' r; do
          if [ "${r:0:1}" = D ]; then dp+=("${r:1}"); continue; fi
          h=${r:0:64}; [ "$h" = ---------------------------------------------------------------- ] && h=
          sh+=("$h"); sp+=("${r:64}")
        done < <(head -c "$n")
        if command -v perl >/dev/null 2>&1; then
          { if [ "${#dp[@]}" -gt 0 ]; then printf 'D%s\0' "${dp[@]}"; fi; printf 'W%s\0' "${sp[@]}"; } | perl -e "$paude_pl" check "" "$2" "$3" ""
        fi
        paude_stage
        paude_receive
        paude_place
        paude_unstage
        printf 'K\0'
        """;
}
