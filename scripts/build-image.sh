#!/usr/bin/env bash
# build-image.sh CONTEXT BASE TAG [TAG...]
#
# Builds CONTEXT/Containerfile with --build-arg BASE_IMAGE=BASE as every TAG, unless the first TAG already is that
# build: the image carries a label paude.build-input whose value is a hash of everything the build reads, and an
# equal hash skips the build (the other TAGs are pointed at the same image). Used by scripts/setup.sh, which ran
# every build before (45-68 s for the agent image even when nothing changed: its COPY of ~400 MB of agents).
#
# The hash covers: this recipe's version; BASE's image ID (a rebuilt base changes it); every entry of CONTEXT with its
# type, permission bits, link target and, for files, a BLAKE2b of the content (an edit, a chmod, a new or removed
# file). It does not cover what a RUN step reads from outside (none of the images' steps fetches: apt runs only
# for packages a non-Paude base lacks); PAUDE_IMAGE_REBUILD=1 builds anyway.
# stdout: "built IMAGE-ID" or "unchanged IMAGE-ID". Exit: 0 done; 1 usage, missing base or failed build.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: build-image.sh CONTEXT BASE TAG [TAG...]" >&2; exit 1; }
context=$1 base=$2
shift 2
tags=("$@")
label=paude.build-input
[ -f "$context/Containerfile" ] || { echo "build-image.sh: no Containerfile in '$context'" >&2; exit 1; }
base_id=$(podman image inspect --format '{{.Id}}' "$base" 2>/dev/null) \
  || { echo "build-image.sh: base image '$base' is not in local storage" >&2; exit 1; }

# find prints one sorted line per entry (%y type, %m mode, %P path, %l link target); the content hashes follow in the
# same order. Names are the repository's own (no newlines).
input=$(
  cd "$context"
  printf 'paude-build-input v1\nbase %s\n' "$base_id"
  find . -mindepth 1 -printf '%y %m %P -> %l\n' | LC_ALL=C sort
  find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r b2sum --
)
hash=$(printf '%s' "$input" | b2sum | cut -c1-64)

current=$(podman image inspect --format "{{index .Labels \"$label\"}}" "${tags[0]}" 2>/dev/null || true)
if [ "$current" = "$hash" ] && [ "${PAUDE_IMAGE_REBUILD:-0}" != 1 ]; then
  id=$(podman image inspect --format '{{.Id}}' "${tags[0]}")
  for t in "${tags[@]:1}"; do podman tag "$id" "$t"; done
  echo "unchanged $id"
  exit 0
fi

old_id=$(podman image inspect --format '{{.Id}}' "${tags[0]}" 2>/dev/null || true)
tag_args=()
for t in "${tags[@]}"; do tag_args+=(-t "$t"); done
podman build -q --pull=never --build-arg "BASE_IMAGE=$base" --label "$label=$hash" "${tag_args[@]}" "$context" >/dev/null
id=$(podman image inspect --format '{{.Id}}' "${tags[0]}")
# The replaced build is now untagged: remove it unless a container still uses it (rmi refuses then).
if [ -n "$old_id" ] && [ "$old_id" != "$id" ]; then
  podman rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "built $id"
