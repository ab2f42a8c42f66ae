#!/bin/bash
# List commits: run in the session as `bash -c SCRIPT bash WORKSPACE` (UnsyncedWorkCheck).
# Arguments: $1 = the session workspace.
# stdin: none.
# stdout:    one NUL-terminated `<commit id> <subject>` record per commit reachable from any ref (stashes included),
#            newest first, at most 20,000; nothing without a folder or repository.
# stderr: nothing. Exit: 0.

cd -- "$1" 2>/dev/null || exit 0
[ -e .git ] || exit 0
git log --all -z -n 20000 --format='%H %s' 2>/dev/null
exit 0
