#!/bin/bash
# Relay probe: run once before a port forward starts, as `bash -c SCRIPT`.
# Arguments: none. stdin: none. stdout: the path of perl.
# Exit:      0 when the image has what port-relay.sh needs (bash, since this runs at all, and perl); non-zero
#            otherwise (127 from the exec when bash is missing). A missing or stopped session fails here with its
#            typed error.

command -v perl
