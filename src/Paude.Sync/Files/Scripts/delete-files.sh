#!/bin/bash
# Delete files: run in the session as `bash -c SCRIPT bash WORKSPACE PATH...` (FileSync).
# Arguments: $1 = the session workspace, then paths relative to it (`rm -f --`: a leading dash is a name).
# stdin: none. stdout: nothing. stderr: cd's or rm's complaint.
# Exit:      0 when every path is gone; non-zero when $1 cannot be entered or a path cannot be removed (set -e).

set -e
cd -- "$1"
shift
rm -f -- "$@"
