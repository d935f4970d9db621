#!/bin/sh
# Refuse to start on a configuration rsyslog cannot load (it would otherwise run and ship nothing).
set -eu
rsyslogd -N1 -f /etc/rsyslog.conf
echo "scanproof-shipper: configuration valid, starting"
exec rsyslogd -n -f /etc/rsyslog.conf
