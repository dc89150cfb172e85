#!/usr/bin/env bash
# The main job of the README for a developer, on a fresh machine: install what is missing,
# run a Podman API service for this checkout, then `dh-podman up`: a development CA, a
# certificate for the machine, the base image, the images, and a running pod.
# Arguments go to `dh-podman up` (e.g. --hostname dh.localhost --port 8123).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export DH_PODMAN_ENGINE_DIR=$PWD/.dh-podman/engine
scripts/podman-env.sh start >/dev/null
eval "$(scripts/podman-env.sh env)"
exec node dist/src/cli/main.js up --state-dir .dh-podman "$@"
