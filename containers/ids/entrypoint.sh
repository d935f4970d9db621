#!/bin/sh
# Waits for the capture interfaces (the overlay is wired after this container starts), then runs
# Suricata in the foreground as PID 1 so that SIGTERM/SIGINT (docker stop) shut it down cleanly:
# on shutdown it writes a flow record for every flow still in its table.
# Extra arguments are passed to suricata (e.g. --set flow-timeouts.tcp.established=30).
set -eu
ifaces=$(echo "${SCANPROOF_IDS_INTERFACES:-vx-out}" | tr ',' ' ')
home=${SCANPROOF_HOME_NET:-[10.20.0.0/24]}
external=${SCANPROOF_EXTERNAL_NET:-!\$HOME_NET}
wait=${SCANPROOF_IDS_WAIT:-30}

mkdir -p /var/log/scanproof
# Up means the IFF_UP flag (0x1) is set: overlay-link brings the link up as its last step.
is_up() {
  [ -r "/sys/class/net/$1/flags" ] && [ $(( $(cat "/sys/class/net/$1/flags") & 1 )) -eq 1 ]
}
for iface in $ifaces; do
  tries=$(( wait * 10 ))
  while ! is_up "$iface"; do
    tries=$(( tries - 1 ))
    if [ "$tries" -le 0 ]; then
      echo "ids-entrypoint: interface $iface did not come up within ${wait}s" >&2
      exit 1
    fi
    sleep 0.1
  done
done

# One af-packet entry per interface, each with its own cluster id; the rest comes from "default".
# (awk turns the "\n" in a -v value into newlines.)
config=/run/suricata.yaml
cluster=99
entries=""
for iface in $ifaces; do
  entries="$entries  - interface: $iface\n    cluster-id: $cluster\n"
  cluster=$(( cluster - 1 ))
done
awk -v entries="$entries" '
  /^  # CAPTURE INTERFACES$/ { printf "%s", entries; next }
  { print }
' /etc/suricata/suricata.yaml >"$config"
echo "ids-entrypoint: $ifaces up, starting suricata (HOME_NET=$home EXTERNAL_NET=$external)"

exec suricata -c "$config" --af-packet \
  --set "vars.address-groups.HOME_NET=$home" \
  --set "vars.address-groups.EXTERNAL_NET=$external" \
  "$@"
