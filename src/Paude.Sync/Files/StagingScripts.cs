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
    /// checked: a symlink); exits 6 after removing the folder otherwise), <c>paude_place</c> (renames <c>sp</c> into
    /// place, creating parent folders) and <c>paude_unstage</c>.
    /// </summary>
    public const string Functions = """
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
          [ "${#sp[@]}" -gt 0 ] || return 0
          # Many files: one perl process renames them all (a mv per file costs a process each); few: mv.
          if [ "${#sp[@]}" -gt 8 ] && command -v perl >/dev/null 2>&1; then
            printf '%s\0' "${sp[@]}" | perl -e 'use File::Path qw(make_path); $/ = "\0"; my $s = shift;
              while (my $p = <STDIN>) { chomp $p; my $d = $p; make_path($d) if $d =~ s{/[^/]*\z}{} && !-d $d;
                rename("$s/$p", $p) or die "$p: $!\n"; }' "$stg"
          else
            local p d
            for p in "${sp[@]}"; do
              d=${p%/*}; if [ "$d" != "$p" ] && [ ! -d "$d" ]; then mkdir -p -- "$d"; fi
              mv -fT -- "$stg/$p" "$p"
            done
          fi
        }

        """;

    /// <summary>
    /// A staged upload of files. $1 = workspace (created when missing). stdin = a line <c>&lt;header length&gt;</c>, the
    /// header (records <c>&lt;sha256 or 64 '-' for a symlink&gt;&lt;path&gt;\0</c>), then a tar of exactly those files.
    /// Prints <c>K</c> when every file is in place.
    /// </summary>
    public const string Upload = Functions + """
        set -e
        export LC_ALL=C
        mkdir -p -- "$1"
        cd -- "$1"
        IFS=' ' read -r n || exit 5
        case "$n" in ''|*[!0-9]*) exit 5 ;; esac
        sp=(); sh=()
        while IFS= read -r -d '' r; do
          h=${r:0:64}; [ "$h" = ---------------------------------------------------------------- ] && h=
          sh+=("$h"); sp+=("${r:64}")
        done < <(head -c "$n")
        paude_stage
        paude_receive
        paude_place
        paude_unstage
        printf 'K\0'
        """;
}
