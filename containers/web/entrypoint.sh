#!/bin/sh
# SCANPROOF_PORT_80 moves the listener (a `ports:` override of the target).
set -eu
sed -i "s/PORT_80/${SCANPROOF_PORT_80:-80}/" /etc/nginx/nginx.conf
exec nginx -g "daemon off;"
