#!/bin/bash
# Probe the repository: run in the session as `bash -c SCRIPT bash WORKSPACE BRANCH EXCLUDE...` (GitToSession,
# UnsyncedWorkCheck).
# Arguments: $1 = the session workspace, $2 = the branch (may be empty), then git exclude patterns.
# stdin: none.
# stdout:    NUL-terminated records: `N` alone without a folder or repository; else `B<head branch>`,
#            `C<head commit>`, `T<commit of refs/heads/$2>` (each empty when there is none), `D<path>` per deleted
#            tracked file (replaced by a folder, or behind a link or a file, included) and `H<sha256>  <path>` per modified or untracked, not ignored file.
# stderr: git's complaint. Exit: 0.

cd -- "$1" 2>/dev/null || { printf 'N\0'; exit 0; }
[ -e .git ] || { printf 'N\0'; exit 0; }
branch=$2
shift 2
printf 'B%s\0' "$(git symbolic-ref -q --short HEAD)"
printf 'C%s\0' "$(git rev-parse -q --verify 'HEAD^{commit}')"
printf 'T%s\0' "$(git rev-parse -q --verify "refs/heads/$branch^{commit}")"
ex=( --exclude='*.paude-staging-*' --exclude='.paude-backup-*' )
for e in "$@"; do ex+=( "--exclude=$e" ); done
# Deleted as git diff sees it (not ls-files -d, whose lstat follows a link on the way and takes a folder in a file's
# place for the file): a path behind a link or a file, or replaced by a folder, is gone from the workspace.
git diff --no-renames --name-only -z --diff-filter=D | sed -z 's/^/D/'
git ls-files -z -m -o --exclude-standard "${ex[@]}" | xargs -0 -r sha256sum -z -- 2>/dev/null | sed -z 's/^/H/'
exit 0
