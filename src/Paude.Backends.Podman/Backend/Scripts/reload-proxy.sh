#!/bin/sh
# Reload the proxy: run in the proxy container (as squid's own user) as `sh -c SCRIPT sh PIDFILE`.
# Arguments: $1 = squid's pid file.
# stdin: none. stdout: nothing. stderr: cat's or kill's complaint.
# Exit:      0 when squid got SIGHUP (what `squid -k reconfigure` sends: it rereads its config); non-zero otherwise.

kill -HUP "$(cat "$1")"
