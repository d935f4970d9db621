#!/bin/sh
# Tools only the tests need: Debian's Chromium renders the HTML report in a real browser.
set -eu
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The HTML report test needs Chromium: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
fi
start=$(date +%s)
echo "▸ Chromium (for the HTML report test): installing…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "✔ Chromium installed ($(( $(date +%s) - start )) s)"
