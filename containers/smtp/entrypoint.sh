#!/bin/sh
# SCANPROOF_PORT_25 moves the SMTP listener (a `ports:` override of the target).
set -eu
port="${SCANPROOF_PORT_25:-25}"
if [ "$port" != 25 ]; then
  postconf -MX smtp/inet
  postconf -Me "$port/inet=$port inet n - y - - smtpd"
fi
exec postfix start-fg
