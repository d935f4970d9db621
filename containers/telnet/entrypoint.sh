#!/bin/sh
# SCANPROOF_PORT_23 moves the listener (a `ports:` override of the target).
set -eu
echo "${SCANPROOF_PORT_23:-23} stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd" > /etc/inetd.conf
syslogd -f /etc/syslog.conf --no-klog
exec inetutils-inetd -d /etc/inetd.conf
