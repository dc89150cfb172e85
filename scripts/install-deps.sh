#!/usr/bin/env bash
# Installs the npm dependencies (and so builds dist/ through the prepare script) unless
# node_modules already matches package-lock.json. npm's output (the prepare script's
# "> tsc -p ." lines too) goes to stderr: callers keep stdout for their own result.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -d dist ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
