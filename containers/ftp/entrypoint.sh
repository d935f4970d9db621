#!/bin/sh
# SCANPROOF_PORT_21 moves the control port (a `ports:` override of the target).
set -eu
exec vsftpd -olisten_port="${SCANPROOF_PORT_21:-21}" /etc/vsftpd.conf
