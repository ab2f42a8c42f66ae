#!/bin/bash
# Unframe stdin: wraps a command run through the exec API as `/bin/bash -c SCRIPT paude-unframe COMMAND ARG...`
# (v4 exec servers cannot close stdin, so the host sends frames and this turns the final frame into end-of-file).
# Arguments: the command to run and its arguments.
# stdin:     frames `<decimal length>\n<that many bytes>`, ending with `0\n`; the bytes go to the command's stdin,
#            which then ends. bash's `read` consumes a pipe byte by byte and GNU `head -c` reads exactly the count
#            asked for, so a frame is never over-read.
# stdout/stderr: the command's.
# Exit:      the command's exit code (125 when a frame was cut short is visible to the command as a short stdin).

while IFS= read -r n && [ "$n" != 0 ]; do head -c "$n" || exit 125; done | "$@"
