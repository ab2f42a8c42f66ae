#!/bin/bash
# Tar files: run in the session as `bash -c SCRIPT bash WORKSPACE` (FileSync, pull).
# Arguments: $1 = the session workspace.
# stdin:     NUL-separated paths relative to $1 (taken verbatim: no option parsing, no recursion).
# stdout:    a tar of exactly those paths (a symlink is stored as a link, never followed).
# stderr: tar's complaint. Exit: tar's (0 ok, non-zero when $1 cannot be entered or a path could not be read).

cd -- "$1" && exec tar --no-recursion --null --verbatim-files-from -T - -cf -
