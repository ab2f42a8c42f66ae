#!/bin/sh
# Runs inside the agent container as the attach process of the Podman backend (PodmanAttach.cs):
#   podman exec -it <agent> sh -c "$(cat attach-tty.sh)" paude-attach-tty
# Protocol (stdout is the exec's pseudo-terminal, so lines end in CR LF):
#   1. one line "paude-tty <path>": the pseudo-terminal this exec got; the host sets its size later with
#      `podman exec <agent> stty -F <path> rows R cols C` (the kernel then sends SIGWINCH to tmux);
#   2. then the terminal belongs to paude-attach (tmux), until it exits; its exit code is the attach's.
# No arguments, no input read here: the host sends keys only after line 1.
set -eu
printf 'paude-tty %s\n' "$(tty)"
exec paude-attach
