#!/bin/sh
# SCANPROOF_PORT_23 moves the listener (a `ports:` override of the target).
set -eu
echo "${SCANPROOF_PORT_23:-23} stream tcp nowait root /usr/sbin/telnetd telnetd" > /etc/inetd.conf
exec inetutils-inetd -d /etc/inetd.conf >> /var/log/scanproof/inetd.log 2>&1
