#!/usr/bin/env bash
# Drop-in for the Podman kit's build_images.sh: `dh-podman build`, with --ca-cert-file baked
# into every image's system trust.
set -euo pipefail
source "$(dirname "$0")/shim-lib.sh"

supported="--ca-cert-file F (and dh-podman build's --base-image, --only, --tag-prefix, --no-cache, --json)"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ca-cert-file|--base-image|--only|--tag-prefix)
      [ $# -ge 2 ] || unsupported build_images.sh "$1 without a value" "$supported"
      args+=("$1" "$2"); shift 2 ;;
    --ca-cert-file=*) args+=("$1"); shift ;;
    --no-cache|--json) args+=("$1"); shift ;;
    *) unsupported build_images.sh "$1" "$supported" ;;
  esac
done
dh_podman build "${args[@]}"
