#!/bin/bash
# Wait for the agent's proxy bridge: run in the agent container as `bash -c SCRIPT bash SOCKET PORT`.
# Arguments: $1 = the proxy's Unix socket, $2 = the port the agent's bridge listens on (127.0.0.1).
# stdin: none. stdout/stderr: nothing.
# Exit:      0 once the socket exists and 127.0.0.1:$2 accepts a connection (polled every 50 ms for up to 120 s);
#            2: the socket never appeared; 3: the socket is there but the bridge never listened.

for _ in $(seq 2400); do [ -S "$1" ] && (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && exit 0; sleep 0.05; done; [ -S "$1" ] || exit 2; exit 3
