#!/bin/sh
# SCANPROOF_PORT_21 moves the control port (a `ports:` override of the target). rsyslogd receives
# vsftpd's messages on /dev/log before vsftpd starts; each record names the address and port vsftpd
# serves on, which vsftpd's own messages leave out.
set -eu
port="${SCANPROOF_PORT_21:-21}"
sed -i -e "s/SCANPROOF_ADDRESS/${SCANPROOF_ADDRESS:-}/" -e "s/SCANPROOF_PORT/${port}/" /etc/rsyslog.conf
mkdir -p /var/spool/rsyslog
rm -f /run/rsyslogd.pid
rsyslogd -f /etc/rsyslog.conf
while [ ! -S /dev/log ]; do sleep 0.1; done
# Not as PID 1: a local login's session processes are reparented to PID 1 when they end, and
# vsftpd's listener crashes (SIGSEGV) reaping a child it did not start; the shell reaps them.
vsftpd -olisten_port="${port}" /etc/vsftpd.conf &
vsftpd=$!
trap 'kill "$vsftpd"' TERM INT
wait "$vsftpd"
