#!/bin/bash
# Incremental push: run in the session as `bash -c FUNCTIONS+SCRIPT bash WORKSPACE BRANCH COMMIT FORCE TARGET BACKUP`
# (IncrementalPush; FUNCTIONS is Files/Scripts/staging-functions.sh). Full protocol: PushScripts.Apply.
# Arguments: $1 = the session workspace, $2 = the branch, $3 = the commit the session must be at, $4 = force (1/0),
#            $5 = the commit the branch moves to (empty: it stays), $6 = the backup folder (workspace-relative, must not
#            exist) that keeps, when forced, a copy of every session file the push replaces.
# stdin:     a line `<header length> <1 when a tar follows> <pack length> <index entries length>`, the header
#            (NUL-terminated records `<W|D><expected sha256><new sha256><path>`, 64 '-' = no such file), the index
#            entries (`update-index -z --index-info`), the pack of the new objects, then the tar of the written files.
#            The state checks run before stdin is read.
# stdout:    `R<path>` records (at risk, not forced, exit 4), or `F<path>` records (forced), `B` when the backup
#            folder was made for them; then `C<path>` per write refused for a type obstacle (the full push's rule:
#            safe-place.pl check; the rest is placed) or, forced, `B<path>` per obstacle moved into the backup folder;
#            `A<path>` per deletion that deleted nothing (the session held nothing there, or a folder); then `K`.
#            All NUL-terminated.
# stderr:    the reason on failure.
# Exit:      0 done; 3 the session is not where the last push left it; 4 session work at risk; 5 nothing sent;
#            6 the pack, commit or files did not arrive intact (nothing placed); 7 the branch moved meanwhile;
#            8 a link stood on the way of a write or delete (safe-place.pl refused it).
# shellcheck disable=SC2154 # stg is set by paude_stage (staging-functions.sh, prepended to this text).

set -e
export LC_ALL=C
cd -- "$1" 2>/dev/null || exit 3
branch=$2; commit=$3; force=$4; target=${5:-$3}; bak=$6
st=$(git rev-parse 'HEAD^{commit}' --symbolic-full-name HEAD 2>/dev/null </dev/null) || exit 3
[ "$st" = "$commit"$'\n'"refs/heads/$branch" ] || exit 3
if [ "$target" != "$commit" ]; then git diff-index --cached --quiet "$commit" -- </dev/null >/dev/null 2>&1 || exit 3; fi
IFS=' ' read -r n tar pack idx || exit 5 # end-of-file: nothing to push (the state above is verified)
case "$n" in ''|*[!0-9]*) exit 5 ;; esac
pack=${pack:-0}; idx=${idx:-0}
case "$pack$idx" in *[!0-9]*) exit 5 ;; esac
dash=----------------------------------------------------------------
ops=(); exp=(); new=(); paths=()
if [ "$n" -gt 0 ]; then
  while IFS= read -r -d '' r; do
    ops+=("${r:0:1}"); exp+=("${r:1:64}"); new+=("${r:65:64}"); paths+=("${r:129}")
  done < <(head -c "$n")
fi
# Type obstacles first, by the full push's own rule (safe-place.pl check): a write behind a session folder, link, or
# a link or file among its leading folders is a conflict (C record), not hashed (never read through a link) and not
# placed; the rest goes on. Forced, the obstacles are moved into the backup folder below instead, and written over.
declare -A conf=()
if [ "${#paths[@]}" -gt 0 ] && command -v perl >/dev/null 2>&1; then
  while IFS= read -r -d '' r; do conf["${r:1}"]=1; done < <(for i in "${!paths[@]}"; do printf '%s%s\0' "${ops[$i]}" "${paths[$i]}"; done | perl -e "$paude_pl" check "" 0 "" "" || true)
fi
# A path whose leading folders are not all folders (a link, a file, missing) holds nothing of the workspace there.
lead_ok() { local d=$1; while [ "$d" != "${d%/*}" ]; do d=${d%/*}; if [ -L "$d" ] || [ ! -d "$d" ]; then return 1; fi; done; }
declare -A have=()
reg=()
for p in "${paths[@]}"; do
  if [ -n "${conf["$p"]:-}" ]; then continue
  elif ! lead_ok "$p"; then have["$p"]=gone
  elif [ -L "$p" ]; then have["$p"]=other
  elif [ -d "$p" ]; then have["$p"]=gone
  elif [ -f "$p" ]; then reg+=("$p")
  elif [ -e "$p" ]; then have["$p"]=other
  fi
done
if [ "${#reg[@]}" -gt 0 ]; then
  while IFS= read -r -d '' r; do have["${r:66}"]=${r:0:64}; done < <(printf '%s\0' "${reg[@]}" | xargs -0 sha256sum -z --)
fi
# A deletion where the session holds a folder, or nothing, deletes nothing (A record: not reported as deleted). A
# write where the session holds nothing (or a folder the check let through: empty, or emptied by this push) is never
# at risk: it loses no content, and the full push writes it too.
risk=(); declare -A gone=()
for i in "${!paths[@]}"; do
  p=${paths[$i]}; a=${have["$p"]:-$dash}
  if [ -n "${conf["$p"]:-}" ]; then continue; fi
  if [ "${ops[$i]}" = D ] && { [ "$a" = gone ] || [ "$a" = "$dash" ]; }; then gone["$p"]=1; continue; fi
  if [ "${ops[$i]}" = W ] && { [ "$a" = gone ] || [ "$a" = "$dash" ]; }; then continue; fi
  if [ "$a" != "${exp[$i]}" ] && [ "$a" != "${new[$i]}" ]; then risk+=("$p"); fi
done
if [ "${#risk[@]}" -gt 0 ] && [ "$force" != 1 ]; then printf 'R%s\0' "${risk[@]}"; exit 4; fi
# Stage only when something arrives (a push with nothing to write starts no extra process).
if [ "$tar" = 1 ] || [ "$idx" -gt 0 ]; then paude_stage; else paude_clean; stg=; fi
if [ "$idx" -gt 0 ]; then head -c "$idx" > "$stg.index-info"; fi
if [ "$pack" -gt 0 ]; then
  head -c "$pack" | git index-pack --stdin --fix-thin >/dev/null || { echo "the pushed pack did not arrive intact" >&2; paude_unstage; exit 6; }
fi
if [ "$target" != "$commit" ]; then
  git rev-list --quiet --objects "$target" --not "$commit" </dev/null >/dev/null 2>&1 || { echo "the pushed commit is incomplete" >&2; paude_unstage; exit 6; }
fi
sp=(); sh=()
for i in "${!paths[@]}"; do
  if [ "${ops[$i]}" = W ] && { [ "$force" = 1 ] || [ -z "${conf["${paths[$i]}"]:-}" ]; }; then sp+=("${paths[$i]}"); sh+=("${new[$i]}"); fi
done
if [ "$tar" = 1 ]; then paude_receive; fi
made=0
if [ "${#risk[@]}" -gt 0 ]; then
  printf 'F%s\0' "${risk[@]}"
  # A copy of each replaced file first: the stash below keeps tracked edits only, and may fail (no identity, a
  # conflict); the copy keeps untracked ones too. mkdir fails on an existing folder: nothing planted is reused.
  for p in "${risk[@]}"; do
    if [ -f "$p" ] || [ -L "$p" ]; then
      if [ "$made" = 0 ]; then mkdir -- "$bak"; made=1; fi
      cp -P --parents -- "$p" "$bak/"
    fi
  done
  if [ "$made" = 1 ]; then printf 'B\0'; fi
  tracked=()
  for p in "${risk[@]}"; do
    if git --literal-pathspecs ls-files --error-unmatch -- "$p" >/dev/null 2>&1 </dev/null; then tracked+=("$p"); fi
  done
  if [ "${#tracked[@]}" -gt 0 ]; then
    ident=()
    git config user.email >/dev/null 2>&1 </dev/null || ident=(-c user.name=paude-sync -c user.email=paude-sync@localhost)
    git "${ident[@]}" --literal-pathspecs stash push -q -m "paude sync: session work before a forced push" -- "${tracked[@]}" </dev/null >&2 || true
  fi
fi
if [ "${#conf[@]}" -gt 0 ] && [ "$force" = 1 ]; then
  # The obstacles go into the backup folder (B<path> records), as the full push's forced upload does.
  if [ "$made" = 0 ]; then mkdir -- "$bak"; fi
  for i in "${!paths[@]}"; do printf '%s%s\0' "${ops[$i]}" "${paths[$i]}"; done | perl -e "$paude_pl" check "" 1 "$bak" ""
elif [ "${#conf[@]}" -gt 0 ]; then
  printf 'C%s\0' "${!conf[@]}"
fi
if [ "${#gone[@]}" -gt 0 ]; then printf 'A%s\0' "${!gone[@]}"; fi
dp=()
for i in "${!paths[@]}"; do
  if [ "${ops[$i]}" = D ] && [ -z "${gone["${paths[$i]}"]:-}" ]; then dp+=("${paths[$i]}"); fi
done
paude_place
if [ "$target" != "$commit" ]; then
  git update-ref -m "paude sync: push" "refs/heads/$branch" "$target" "$commit" </dev/null || { echo "the session's branch moved during the push" >&2; paude_unstage; exit 7; }
  if [ "$idx" -gt 0 ]; then git update-index -z --index-info < "$stg.index-info"; fi
fi
paude_unstage
printf 'K\0'
