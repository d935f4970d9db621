#!/bin/sh
# SCANPROOF_PORT_53 moves the listener, UDP and TCP (a `ports:` override of the target).
set -eu
sed -i "s/PORT_53/${SCANPROOF_PORT_53:-53}/" /etc/unbound/unbound.conf
exec unbound -d -c /etc/unbound/unbound.conf
