#!/usr/bin/env bash
# Drop-in for the Podman kit's start_command.sh: `dh-podman start` with the same flags, so
# existing runbooks keep working. dh-podman's own start flags are passed through as well.
set -euo pipefail
source "$(dirname "$0")/shim-lib.sh"

supported="--hostname/-h H, --tls-volume DIR, --ca-cert-file F (and dh-podman start's --name, --image, --publish, --network, --state-dir, --dry-run, --json)"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--hostname|--tls-volume|--ca-cert-file|--name|--image|--publish|--network|--state-dir)
      [ $# -ge 2 ] || unsupported start_command.sh "$1 without a value" "$supported"
      args+=("$1" "$2"); shift 2 ;;
    --hostname=*|--tls-volume=*|--ca-cert-file=*) args+=("$1"); shift ;;
    --dry-run|--json) args+=("$1"); shift ;;
    *) unsupported start_command.sh "$1" "$supported" ;;
  esac
done
dh_podman start "${args[@]}"
