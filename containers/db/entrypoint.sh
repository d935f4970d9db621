#!/bin/sh
# SCANPROOF_PORT_5432 moves the listener (a `ports:` override of the target). rsyslogd receives
# PostgreSQL's messages on /dev/log before it starts; each record names the address and port
# PostgreSQL serves on, which its own messages leave out.
set -eu
port="${SCANPROOF_PORT_5432:-5432}"
sed -i -e "s/SCANPROOF_ADDRESS/${SCANPROOF_ADDRESS:-}/" -e "s/SCANPROOF_PORT/${port}/" /etc/rsyslog.conf
mkdir -p /var/spool/rsyslog
rm -f /run/rsyslogd.pid
rsyslogd -f /etc/rsyslog.conf
while [ ! -S /dev/log ]; do sleep 0.1; done
exec runuser -u postgres -- /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main \
  -c config_file=/etc/postgresql/15/main/postgresql.conf -p "$port"
