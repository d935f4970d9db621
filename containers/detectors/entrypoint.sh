#!/bin/sh
# detectors-entrypoint psad|scanlogd: rsyslogd (the detectors' only output) runs in the foreground
# of this script, which forwards SIGTERM/SIGINT to it so that docker stop flushes the log.
# "ready" is printed once the detector runs.
set -eu
detector=${1:?usage: detectors-entrypoint psad|scanlogd}
mkdir -p /var/log/scanproof
rm -f /run/rsyslogd.pid
rsyslogd -n -i /run/rsyslogd.pid &
syslog=$!
trap 'kill -TERM "$syslog"' TERM INT
while [ ! -S /dev/log ]; do sleep 0.1; done
case "$detector" in
  psad)
    nft insert rule inet scanproof forward iifname '{ "vx-out", "vx-lan" }' ct state '{ new, invalid, untracked }' \
      log group 2 prefix '"kernel: psad "'
    ulogd -d -c /etc/ulogd-psad.conf
    while [ ! -e /var/log/scanproof/psad-fw.log ]; do sleep 0.1; done
    mkdir -p /var/run/psad /var/lib/psad /var/log/psad
    psad --Override-config /etc/psad/psad.override.conf --no-fwcheck --no-whois --no-rdns
    ;;
  scanlogd)
    scanlogd
    ;;
  *)
    echo "detectors-entrypoint: unknown detector $detector" >&2
    exit 2
    ;;
esac
echo "detectors: $detector ready"
wait "$syslog" || wait "$syslog"
