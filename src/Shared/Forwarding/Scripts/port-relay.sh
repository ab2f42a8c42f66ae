#!/bin/bash
# Port relay: one forwarded connection, run in the session (or a test-server pod) as `bash -c SCRIPT relay PORT`.
# Arguments: $1 = the session port (1-65535) on 127.0.0.1.
# stdin:     the client's bytes, written to the port.
# stdout:    the port's bytes.
# stderr:    bash's complaint when the connection is refused.
# Exit:      0 when the port's server closed (at once, so the exec ends and the client sees the end); 1 when the
#            connection was refused. When stdin ends, the answer keeps flowing until the server closes.
# socat is not used: it waits for both directions to end, and `podman exec` passes a closed stdout on only when the
# process exits, so a client waiting for the server's close would hang.
# fd 4 keeps the real stdin: a background job of a non-interactive shell gets /dev/null as its stdin.

exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; exec 4<&0; cat <&4 >&3 & cat <&3; kill $! 2>/dev/null; exit 0
