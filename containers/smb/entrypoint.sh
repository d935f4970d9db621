#!/bin/sh
# SCANPROOF_PORT_445 and SCANPROOF_PORT_139 move the listeners (a `ports:` override of the target).
set -eu
echo "smb ports = ${SCANPROOF_PORT_445:-445} ${SCANPROOF_PORT_139:-139}" > /etc/samba/ports.conf
exec smbd --foreground --no-process-group
