#!/bin/bash
# Follow a pushed commit: run in the session as
# `bash -c SCRIPT bash WORKSPACE COMMIT BRANCH FORCE N DISCARD... DELETE...` (GitToSession, full path).
# Arguments: $1 = the session workspace, $2 = the commit the working tree moves to, $3 = the branch, $4 = force
#            (1 stashes the session's uncommitted work first), $5 = n, then n paths uploaded earlier that go back to
#            their committed state (or are removed when untracked), then paths to delete (relative to $1).
# stdin: none. stdout: `S<stash commit>` NUL-terminated when force stashed the session's tracked edits, else nothing.
# stderr: git's complaint.
# Exit:      0 when the branch points at $2 and is checked out; 8 a link appeared on the way of a deletion
#            (safe-place.pl refused it); else git's exit code (set -e). `git checkout` refuses, changing
#            nothing, when it would overwrite the session's own uncommitted work. A deletion behind a link or a
#            file, or of a folder, is skipped; none is made through a link.
# shellcheck disable=SC2154 # paude_pl (safe-place.pl) is prepended by the C# (SessionScripts.Follow).

set -e
cd -- "$1"
new=$2; branch=$3; force=$4; n=$5
shift 5
discard=( "${@:1:$n}" )
shift "$n"
for p in "${discard[@]}"; do
  if git --literal-pathspecs ls-files --error-unmatch -- "$p" >/dev/null 2>&1; then
    git --literal-pathspecs checkout -q -- "$p"
  else
    rm -f -- "$p"
  fi
done
if [ "$force" = 1 ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  # Without an identity of the session's own, git stash refuses: a fixed one (as push-apply.sh).
  ident=()
  git config user.email >/dev/null 2>&1 || ident=(-c user.name=paude-sync -c user.email=paude-sync@localhost)
  git "${ident[@]}" stash push -q -m "paude sync: session work before a forced push"
  printf 'S%s\0' "$(git rev-parse -q --verify refs/stash)"
fi
git checkout -q -B "$branch" "$new"
git update-ref -d refs/paude/incoming 2>/dev/null || true
# The deletions: never through a link or into a folder. A path whose leading folders are not all folders, or that is
# a folder, holds no file of the workspace there: skipped. The rest goes through safe-place.pl ($paude_pl, prepended
# by the C#), which walks to each one folder at a time, so a link swapped in meanwhile is refused (exit 8).
dl=()
for p in "$@"; do
  d=$p; ok=1
  while [ "$d" != "${d%/*}" ]; do d=${d%/*}; if [ -L "$d" ] || [ ! -d "$d" ]; then ok=0; break; fi; done
  if [ "$ok" = 1 ] && { [ -L "$p" ] || [ ! -d "$p" ]; }; then dl+=("$p"); fi
done
if [ "${#dl[@]}" -gt 0 ]; then
  if command -v perl >/dev/null 2>&1; then printf 'D%s\0' "${dl[@]}" | perl -e "$paude_pl" place "" 0 "" "$(pwd -P)"
  else rm -f -- "${dl[@]}"
  fi
fi
