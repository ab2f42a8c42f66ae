#!/bin/bash
# Staging functions: not run alone; the C# prepends this text to staged-upload.sh, push-apply.sh and push-first.sh
# (StagingScripts.Functions), which call the functions from the session workspace (cwd).
#   paude_clean    removes staging folders an interrupted push left (./.paude-staging-*, ./.git/.paude-staging-*).
#   paude_stage    cleans, then creates the staging folder $stg (inside .git when that is a real folder: a rename
#                  away from the workspace files).
#   paude_receive  extracts the tar on stdin into $stg, then checks the files named in the arrays sp (paths) and sh
#                  (SHA-256; empty = a symlink, which must arrive as one); on a short archive or a mismatch it
#                  removes $stg and exits 6 ("the pushed files did not arrive intact" on stderr), nothing placed.
#   paude_place    deletes every dp path, then renames every sp path from $stg into place, creating parent folders,
#                  never through a link (safe-place.pl in $paude_pl; exit 8 on a refusal).
#   paude_unstage  removes $stg.
# sp, sh and dp are set by the script that calls paude_receive/paude_place; $paude_pl is prepended by the C#.
# shellcheck disable=SC2154 # sp, sh, dp and paude_pl are the caller's.

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
  # Deletions (dp) then placements (sp), never through a link: safe-place.pl ($paude_pl, prepended by the C#).
  [ "$((${#sp[@]} + ${#dp[@]}))" -gt 0 ] || return 0
  local root p d q; root=$(pwd -P)
  if ! command -v perl >/dev/null 2>&1; then
    # No perl in this image: the same refusals in bash, component by component (a race is not caught here).
    paude_nolink() { q=; local c parts; IFS=/ read -r -d '' -a parts < <(printf '%s\0' "$1") || true; for c in "${parts[@]}"; do q=${q:+$q/}$c; if [ -L "$q" ]; then echo "refused: $1: the symbolic link $q is on its way" >&2; exit 8; fi; done; }
    for p in "${dp[@]}"; do paude_nolink "$p"; if [ ! -d "$p" ]; then rm -f -- "$p"; fi; done
    for p in "${sp[@]}"; do
      paude_nolink "$p"; d=${p%/*}; if [ "$d" != "$p" ] && [ ! -d "$d" ]; then mkdir -p -- "$d"; fi
      if [ -d "$p" ]; then rmdir -- "$p" 2>/dev/null || { echo "refused: $p: a folder with content stands where the file goes" >&2; exit 8; }; fi
      mv -fT -- "$stg/$p" "$p"
    done
    return 0
  fi
  { if [ "${#dp[@]}" -gt 0 ]; then printf 'D%s\0' "${dp[@]}"; fi
    if [ "${#sp[@]}" -gt 0 ]; then printf 'W%s\0' "${sp[@]}"; fi
  } | perl -e "$paude_pl" place "$root/$stg" 0 "" "$root"
}
