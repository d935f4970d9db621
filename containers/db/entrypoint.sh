#!/bin/sh
# SCANPROOF_PORT_5432 moves the listener (a `ports:` override of the target).
set -eu
exec runuser -u postgres -- /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main \
  -c config_file=/etc/postgresql/15/main/postgresql.conf -p "${SCANPROOF_PORT_5432:-5432}"
