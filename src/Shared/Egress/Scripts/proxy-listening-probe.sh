#!/bin/bash
# Proxy listening probe: run in the proxy container as `bash -c SCRIPT paude-probe PORT`.
# Arguments: $1 = the port squid listens on.
# stdin: none. stdout: nothing. stderr: bash's complaint while the port refuses.
# Exit:      0 once a connection to 127.0.0.1:$1 is accepted, 1 while it is refused (bash's /dev/tcp: no curl needed).

exec 3<>"/dev/tcp/127.0.0.1/$1"
