#!/bin/sh
set -eu
mkdir -p /var/log/scanproof
nft -f /etc/scanproof/ruleset.nft
# Packets that are only an IP header: ulogd (NFLOG group 3, XML) → headers-to-json → the same file.
ulogd -c /etc/ulogd-headers.conf | headers-to-json >>/var/log/scanproof/firewall.json &
exec ulogd -v -c /etc/ulogd.conf
