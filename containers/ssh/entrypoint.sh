#!/bin/sh
# SCANPROOF_PORT_22 moves the listener (a `ports:` override of the target). rsyslogd receives
# sshd's authentication messages on /dev/log before sshd starts; each record names the address and
# port sshd serves on, which sshd's own messages leave out.
set -eu
port="${SCANPROOF_PORT_22:-22}"
sed -i -e "s/SCANPROOF_ADDRESS/${SCANPROOF_ADDRESS:-}/" -e "s/SCANPROOF_PORT/${port}/" /etc/rsyslog.conf
mkdir -p /var/spool/rsyslog
rm -f /run/rsyslogd.pid
rsyslogd -f /etc/rsyslog.conf
while [ ! -S /dev/log ]; do sleep 0.1; done
exec /usr/sbin/sshd -D -p "$port"
