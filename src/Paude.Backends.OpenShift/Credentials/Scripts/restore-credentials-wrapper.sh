#!/bin/bash
# Credentials wrapper: the agent container's command when credentials are delivered, as
# `/bin/bash -c SCRIPT paude-credentials PARTS_ROOT` (CredentialPodSpec.WrapperCommand).
# Arguments: $1 = the folder the part Secrets are mounted under (/credentials-parts/NNNN/<file>).
# stdin: none. stdout/stderr: paude-restore-credentials' messages, then the entrypoint's.
# Exit:      non-zero (the container ends, the startup probe fails fast with this in the log tail) when the parts do
#            not reassemble or a hash does not match; else it becomes the image's entrypoint (exec).
# Steps: link every part into one folder in /tmp, restore into the Memory emptyDir /credentials (never the PVC),
# write the marker the startup probe waits for, exec the entrypoint.
# The fixed paths are part of the text on purpose: the text is stored in the StatefulSet and compared on every
# reconcile, so it must stay byte for byte what older versions wrote (a change would restart every session's pod).
# Nothing session- or user-controlled is in the text.

set -eu
links=$(mktemp -d)
for f in "$1"/*/*; do if [ -f "$f" ]; then ln -s -- "$f" "$links/"; fi; done
/usr/local/bin/paude-restore-credentials --parts "$links" /credentials
rm -rf -- "$links"
: > /tmp/.paude-credentials-restored
exec /usr/local/bin/paude-entrypoint
