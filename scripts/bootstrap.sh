#!/bin/sh
# Installs the npm dependencies (only when package-lock.json changed) and compiles the TypeScript.
# Everything else (Docker engine, images, Elasticsearch) is set up by `scanproof setup`.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.scanproof-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  start=$(date +%s)
  echo "▸ npm dependencies: installing (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
  echo "✔ npm dependencies installed ($(( $(date +%s) - start )) s)"
fi
start=$(date +%s)
npx --no-install tsc -p tsconfig.json
echo "✔ TypeScript compiled ($(( $(date +%s) - start )) s)"
