#!/bin/bash
# First push: run in the session as `bash -c FUNCTIONS+SCRIPT bash WORKSPACE BRANCH COMMIT` (FirstPush; FUNCTIONS is
# Files/Scripts/staging-functions.sh). Full protocol: PushScripts.First.
# Arguments: $1 = the session workspace (empty or missing), $2 = the branch (arrives as .git/HEAD in the archive),
#            $3 = the commit HEAD must resolve to.
# stdin:     a line `1`, then a tar of the working files and the repository (loose objects, packs, HEAD, config,
#            the branch's ref, the index) ending with the empty entry `.git/paude-end`.
# stdout:    `K` NUL-terminated once placed. stderr: the reason on failure.
# Exit:      0 placed; 3 the workspace is not empty (nothing changed); 5 nothing sent; 6 the archive was short, a
#            pack is corrupt or HEAD is not the commit (nothing placed).
# shellcheck disable=SC2154 # stg is set by paude_stage (staging-functions.sh, prepended to this text).

set -e
export LC_ALL=C
ws=$1; commit=$3 # $2, the branch, arrives as .git/HEAD in the archive
if [ -d "$ws" ] && [ ! -L "$ws" ]; then rm -rf -- "$ws"/.paude-staging-*; fi
if [ -e "$ws" ] || [ -L "$ws" ]; then
  [ -d "$ws" ] && [ ! -L "$ws" ] && [ -z "$(ls -A -- "$ws")" ] || exit 3
fi
IFS= read -r go || exit 5
[ "$go" = 1 ] || exit 5
mkdir -p -- "$ws"
cd -- "$ws"
paude_stage
if ! tar -x --no-same-owner -f - -C "$stg" || [ ! -f "$stg/.git/paude-end" ]; then
  echo "the first push did not arrive whole" >&2; paude_unstage; exit 6
fi
rm -f -- "$stg/.git/paude-end"
shopt -s nullglob dotglob
for p in "$stg"/.git/objects/pack/*.pack; do
  [ -f "${p%.pack}.idx" ] && continue
  git index-pack "$p" </dev/null >/dev/null || { echo "a pushed pack is corrupt" >&2; paude_unstage; exit 6; }
done
# The repository arrived whole (HEAD, config, the branch, the index, the objects): its HEAD must be the commit.
if [ "$(git --git-dir="$stg/.git" rev-parse -q --verify 'HEAD^{commit}' </dev/null)" != "$commit" ]; then
  echo "the pushed repository is incomplete" >&2; paude_unstage; exit 6
fi
# One mv for all top-level entries; -n never replaces what appeared in the workspace since the check above.
mv -n -t . -- "$stg"/*
left=("$stg"/*)
if [ "${#left[@]}" -gt 0 ]; then
  echo "the session workspace changed during the first push; not placed: ${left[*]##*/}" >&2; paude_unstage; exit 6
fi
paude_unstage
printf 'K\0'
