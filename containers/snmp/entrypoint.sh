#!/bin/sh
# SCANPROOF_PORT_161 moves the listener (a `ports:` override of the target).
set -eu
exec snmpd -f -C -I -smux -c /etc/snmp/snmpd.conf -Lf /var/log/scanproof/snmpd.log -u Debian-snmp -g Debian-snmp \
  "udp:${SCANPROOF_PORT_161:-161}"
