#!/bin/sh
# Kill by exec id: run in the agent container (as the killed process's user) as `sh -c SCRIPT sh ID`.
# Arguments: $1 = the exec id (a GUID the backend made; every process of one exec carries PAUDE_EXEC_ID=$1).
# stdin: none. stdout/stderr: nothing.
# Exit:      always 0; every process whose environment holds PAUDE_EXEC_ID=$1 got SIGKILL (processes of other users
#            cannot be read and are left alone). -F: the id is matched as text, never as a pattern.
# shellcheck disable=SC2013 # the paths from grep are /proc/<pid>/environ: digits only, splitting them is safe.

for f in $(grep -lzxF "PAUDE_EXEC_ID=$1" /proc/[0-9]*/environ 2>/dev/null); do p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null; done; true
