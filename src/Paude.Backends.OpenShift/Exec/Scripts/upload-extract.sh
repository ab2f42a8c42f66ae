#!/bin/sh
# Upload: run in the agent container as `/bin/sh -c SCRIPT paude-upload DIR` with (framed) stdin.
# Arguments: $1 = the container folder (absolute; created when missing).
# stdin:     a tar archive, extracted into $1 without taking the archive's owners.
# stdout:    nothing. stderr: tar's or mkdir's complaint.
# Exit:      0 when extracted; mkdir's or tar's exit code otherwise.

mkdir -p -- "$1" && exec tar -x --no-same-owner -f - -C "$1"
