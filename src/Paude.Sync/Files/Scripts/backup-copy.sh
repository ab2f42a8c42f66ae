#!/bin/bash
# Backup copy: run in the session as `bash -c SCRIPT bash WORKSPACE BACKUP` (SessionBackup) right before a forced push
# replaces session files the last sync did not write (the full git push, the file strategy; push-apply.sh does the
# same inline for the incremental push).
# Arguments: $1 = the session workspace; $2 = the backup folder (workspace-relative, must not exist: mkdir fails on an
#            existing one, so nothing planted is reused).
# stdin:     the workspace-relative paths the push will replace, NUL-terminated.
# stdout:    `B` NUL-terminated when the folder was made (at least one path was a file or link: copied, links as
#            links), nothing when none of them exists any more.
# stderr:    the reason on failure.
# Exit:      0 done; 3 the workspace is missing; other non-zero: a command failed (set -e), the push must not go on.

set -e
export LC_ALL=C
cd -- "$1" 2>/dev/null || exit 3
bak=$2
made=0
while IFS= read -r -d '' p; do
  if [ -f "$p" ] || [ -L "$p" ]; then
    if [ "$made" = 0 ]; then mkdir -- "$bak"; made=1; fi
    cp -P --parents -- "$p" "$bak/"
  fi
done
if [ "$made" = 1 ]; then printf 'B\0'; fi
