#!/usr/bin/env bash
# Makes sure the services the test suite needs are installed.
# Idempotent: does nothing when they are already present. It does not start a
# shared redis-server; the store tests start (and stop) their own on a free port.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version | head -n1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and apt-get is not available; install redis-server with your package manager (or set REDIS_URL to a running Redis)." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "redis-server is missing and installing it needs root; run: apt-get install redis-server" >&2
    exit 1
  fi
fi

echo "Installing redis-server..."
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
echo "redis-server installed: $(redis-server --version | head -n1)"
