#!/bin/bash
# Staged upload: run in the session as `bash -c FUNCTIONS+SCRIPT bash WORKSPACE` (StagedUpload; FUNCTIONS is
# staging-functions.sh).
# Arguments: $1 = the session workspace (created when missing).
# stdin:     a line `<header length>`, the header (NUL-terminated records `<sha256, or 64 '-' for a symlink><path>`),
#            then a tar of exactly those files.
# stdout:    `K` NUL-terminated once every file is in place.
# stderr:    the reason on failure.
# Exit:      0 placed; 5 the first line is missing or not a number (nothing changed); 6 the archive was short or a
#            file did not match its hash (nothing placed); other non-zero: a command failed (set -e).

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
