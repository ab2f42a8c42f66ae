#!/bin/bash
# Wait for the proxy: run in the proxy container as `bash -c SCRIPT bash PORT`.
# Arguments: $1 = the port squid listens on.
# stdin: none. stdout/stderr: nothing.
# Exit:      0 once 127.0.0.1:$1 accepts a connection (polled every 50 ms, bash's /dev/tcp); 1 after 2,400 tries
#            (120 s; the caller's ready timeout normally ends the wait first).

for _ in $(seq 2400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exit 0; sleep 0.05; done; exit 1
