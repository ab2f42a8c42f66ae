#!/bin/sh
# Change directory: wraps a command run through the exec API (which has no working directory of its own) as
# `/bin/sh -c SCRIPT paude-cd DIR COMMAND ARG...`.
# Arguments: $1 = the working directory, then the command and its arguments.
# stdin/stdout/stderr: the command's.
# Exit:      126 when the folder cannot be entered (cd's complaint on stderr); else the command's exit code.

cd -- "$1" || exit 126; shift; exec "$@"
