#!/bin/sh
set -eu
mkdir -p /var/log/scanproof
nft -f /etc/scanproof/ruleset.nft
exec ulogd -v -c /etc/ulogd.conf
