#!/bin/sh
# Waits for the capture interface (the overlay is wired after this container starts), then runs
# Suricata in the foreground as PID 1 so that SIGTERM/SIGINT (docker stop) shut it down cleanly:
# on shutdown it writes a flow record for every flow still in its table.
# Extra arguments are passed to suricata (e.g. --set flow-timeouts.tcp.established=30).
set -eu
iface=${SCANPROOF_IDS_INTERFACE:-vx-out}
home=${SCANPROOF_HOME_NET:-[10.20.0.0/24]}
external=${SCANPROOF_EXTERNAL_NET:-!\$HOME_NET}
wait=${SCANPROOF_IDS_WAIT:-30}

mkdir -p /var/log/scanproof
# Up means the IFF_UP flag (0x1) is set: overlay-link brings the link up as its last step.
is_up() {
  [ -r "/sys/class/net/$iface/flags" ] && [ $(( $(cat "/sys/class/net/$iface/flags") & 1 )) -eq 1 ]
}
tries=$(( wait * 10 ))
while ! is_up; do
  tries=$(( tries - 1 ))
  if [ "$tries" -le 0 ]; then
    echo "ids-entrypoint: interface $iface did not come up within ${wait}s" >&2
    exit 1
  fi
  sleep 0.1
done
echo "ids-entrypoint: interface $iface is up, starting suricata (HOME_NET=$home EXTERNAL_NET=$external)"

exec suricata -c /etc/suricata/suricata.yaml --af-packet="$iface" \
  --set "vars.address-groups.HOME_NET=$home" \
  --set "vars.address-groups.EXTERNAL_NET=$external" \
  "$@"
