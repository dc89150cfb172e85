#!/usr/bin/env bash
# The main job of the README for a developer: a development CA and a checked certificate for
# one machine, in the TLS-volume layout, ready for `dh-podman start`.
# HOSTNAME_FOR_DEV (default dh.localhost) names the machine; output goes to .dh-podman/dev/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
host=${HOSTNAME_FOR_DEV:-dh.localhost}
out=.dh-podman/dev
dh() { node dist/src/cli/main.js "$@"; }

if [ ! -f "$out/ca/ca.crt" ]; then
  dh cert ca --out "$out/ca" --cn "dh-podman development CA"
fi
if [ ! -f "$out/tls/$host/tls.crt" ]; then
  dh cert issue --ca-dir "$out/ca" --hostname "$host" --client --out "$out/tls/$host"
fi
dh cert check --hostname "$host" --tls-volume "$out/tls/$host" --ca-cert-file "$out/ca/ca.crt"
echo "CA to trust: $out/ca/ca.crt"
echo "TLS volume for $host: $out/tls/$host"
