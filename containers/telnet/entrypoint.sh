#!/bin/sh
# SCANPROOF_PORT_23 moves the listener (a `ports:` override of the target). rsyslogd receives
# tcpd's, telnetd's and login's messages on /dev/log before inetd starts; each record names the
# address and port telnetd serves on, which their own messages leave out.
set -eu
port="${SCANPROOF_PORT_23:-23}"
echo "${port} stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd" > /etc/inetd.conf
sed -i -e "s/SCANPROOF_ADDRESS/${SCANPROOF_ADDRESS:-}/" -e "s/SCANPROOF_PORT/${port}/" /etc/rsyslog.conf
mkdir -p /var/spool/rsyslog
rm -f /run/rsyslogd.pid
rsyslogd -f /etc/rsyslog.conf
while [ ! -S /dev/log ]; do sleep 0.1; done
exec inetutils-inetd -d /etc/inetd.conf
