#!/usr/bin/env bash
# Installs what Manta needs on a fresh Debian/Ubuntu machine: nats-server (apt) and the npm
# packages. onnxruntime-node's install script would download a binary; the package already
# ships CPU binaries, so its download is skipped. `--test` also installs what the tests need
# beyond that: Debian's chromium, which the dashboard test drives headless.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
command -v ps >/dev/null || missing+=(procps)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export ONNXRUNTIME_NODE_INSTALL=skip
# `npm ci` refuses a lock file written with omit-lockfile-registry-resolved (set on these
# machines), which leaves out other platforms' optional packages; `npm install` then installs
# the same locked versions.
npm ci --no-audit --no-fund || npm install --no-audit --no-fund
