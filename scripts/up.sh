#!/usr/bin/env bash
# The main job of the README for a developer, on a fresh machine: install what is missing,
# run a Podman API service for this checkout, then `dh-podman up`: a development CA, a
# certificate for the machine, the base image, the Deephaven image, and the Deephaven server
# running with that certificate; it prints the IDE's URL, the CA to trust and a pydeephaven line.
# Arguments go to `dh-podman up` (e.g. --hostname dh.localhost --port 8123, --json).
set -euo pipefail
cd "$(dirname "$0")/.."

# Set-up says what it does on stderr only: stdout carries `dh-podman up`'s result alone (with
# --json, exactly one JSON document).
export DH_PODMAN_ENGINE_DIR=$PWD/.dh-podman/engine
{
  scripts/install-deps.sh
  scripts/podman-env.sh start >/dev/null
} >&2
eval "$(scripts/podman-env.sh env)"
exec scripts/dh-podman up --state-dir .dh-podman "$@"
