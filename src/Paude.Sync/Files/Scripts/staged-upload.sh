#!/bin/bash
# Staged upload: run in the session as `bash -c FUNCTIONS+SCRIPT bash WORKSPACE FORCE BACKUP` (StagedUpload; FUNCTIONS
# is $paude_pl = safe-place.pl, then staging-functions.sh).
# Arguments: $1 = the session workspace (created when missing); $2 = force (1: obstacles of another type are moved
#            to the backup folder $3; `dry`: only the check runs, no tar follows, nothing is created or changed);
#            $3 = the backup folder (workspace-relative).
# stdin:     a line `<header length>`, the header (NUL-terminated records `<sha256, or 64 '-' for a symlink><path>`
#            for files to write, `D<path>` for files to delete), then a tar of exactly the files to write.
# stdout:    before the tar is read, safe-place.pl's check: without force (and when dry), a type obstacle prints
#            `C<path>` records and exits 4 with nothing changed; with force, `B<path>` per obstacle moved. Then `K`
#            NUL-terminated once every deletion is done and every file is in place (dry: once the check found nothing).
# stderr:    the reason on failure.
# Exit:      0 placed; 4 type conflicts (nothing changed); 5 the first line is missing or not a number (nothing
#            changed); 6 the archive was short or a file did not match its hash (nothing placed); 8 a link stood on
#            the way of a write (refused; what was placed before stays, each file whole); other non-zero: a command
#            failed (set -e).
# shellcheck disable=SC2154 # paude_pl (safe-place.pl) is prepended by the C#, with staging-functions.sh.

set -e
export LC_ALL=C
dry=0; force=$2
if [ "$force" = dry ]; then dry=1; force=0; fi
if [ "$dry" = 1 ] && [ ! -d "$1" ]; then printf 'K\0'; exit 0; fi # nothing there: nothing in the way
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
  { if [ "${#dp[@]}" -gt 0 ]; then printf 'D%s\0' "${dp[@]}"; fi; if [ "${#sp[@]}" -gt 0 ]; then printf 'W%s\0' "${sp[@]}"; fi; } | perl -e "$paude_pl" check "" "$force" "$3" ""
fi
if [ "$dry" = 1 ]; then printf 'K\0'; exit 0; fi
# A push of deletions alone sends no archive (a tar of nothing is zero bytes): nothing to stage then.
if [ "${#sp[@]}" -gt 0 ]; then paude_stage; paude_receive; fi
paude_place
paude_unstage
printf 'K\0'
