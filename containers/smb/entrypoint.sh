#!/bin/sh
# SCANPROOF_PORT_445 and SCANPROOF_PORT_139 move the listeners (a `ports:` override of the target).
# rsyslogd receives smbd's messages on /dev/log before smbd starts; each record names the address
# and the SMB port smbd serves on (445's), which smbd's own messages leave out.
set -eu
port="${SCANPROOF_PORT_445:-445}"
echo "smb ports = ${port} ${SCANPROOF_PORT_139:-139}" > /etc/samba/ports.conf
sed -i -e "s/SCANPROOF_ADDRESS/${SCANPROOF_ADDRESS:-}/" -e "s/SCANPROOF_PORT/${port}/" /etc/rsyslog.conf
mkdir -p /var/spool/rsyslog
rm -f /run/rsyslogd.pid
rsyslogd -f /etc/rsyslog.conf
while [ ! -S /dev/log ]; do sleep 0.1; done
exec smbd --foreground --no-process-group
