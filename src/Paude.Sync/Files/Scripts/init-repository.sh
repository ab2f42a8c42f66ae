#!/bin/bash
# Create the repository: run in the session as `bash -c SCRIPT bash WORKSPACE BRANCH` (the first push, full path).
# Arguments: $1 = the session workspace (created when missing), $2 = the initial branch.
# stdin: none. stdout: nothing. stderr: mkdir's or git's complaint.
# Exit:      0 when the repository exists; mkdir's or git's exit code otherwise (set -e).

set -e
mkdir -p -- "$1"
git init -q -b "$2" -- "$1"
