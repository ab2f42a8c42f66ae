#!/bin/bash
# List files: run in the session as `bash -c SCRIPT bash WORKSPACE EXCLUDE...` (FileSync, UnsyncedWorkCheck).
# Arguments: $1 = the session workspace; then name excludes (no `/`: `find -name`) and path excludes (with `/`,
#            relative to $1: `find -path`), each pruned with what is under it.
# stdin: none.
# stdout:    NUL-terminated records: `N` alone when $1 is missing; else one `<sha256>  <path>` (sha256sum -z) per
#            regular file, path relative to $1. Symlinks, devices, `.git` at any depth and staging folders
#            (`*.paude-staging-*`) are never listed: the local side never takes files there. Nor are
#            `.paude-backup-*` folders: what a forced push moved aside stays in the session.
# stderr: find's or sha256sum's complaint. Exit: 0 (the pipeline's last command).

cd -- "$1" 2>/dev/null || { printf 'N\0'; exit 0; }
shift
args=()
for e in "$@"; do
  case "$e" in
    */*) args+=( -path "./$e" -prune -o ) ;;
    *) args+=( -name "$e" -prune -o ) ;;
  esac
done
find . -name .git -prune -o -name '*.paude-staging-*' -prune -o -name '.paude-backup-*' -prune -o "${args[@]}" -type f -print0 | sed -z 's|^\./||' | xargs -0 -r sha256sum -z --
