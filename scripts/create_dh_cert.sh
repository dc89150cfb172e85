#!/usr/bin/env bash
# Drop-in for the Podman kit's create_dh_cert.sh: a CA (made once in OUTDIR/ca, key 0600) and a
# certificate for HOSTNAME in the TLS-volume layout (OUTDIR/tls.crt, OUTDIR/tls.key), made by
# `dh-podman cert ca` and `dh-podman cert issue`.
#   create_dh_cert.sh HOSTNAME OUTDIR
#   create_dh_cert.sh --hostname HOSTNAME --out OUTDIR
set -euo pipefail
source "$(dirname "$0")/shim-lib.sh"

supported="HOSTNAME OUTDIR, or --hostname/-h HOSTNAME --out OUTDIR"
host="" out="" positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--hostname) [ $# -ge 2 ] || unsupported create_dh_cert.sh "$1 without a value" "$supported"; host=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || unsupported create_dh_cert.sh "$1 without a value" "$supported"; out=$2; shift 2 ;;
    -*) unsupported create_dh_cert.sh "$1" "$supported" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ -n "$host" ] || host=${positional[0]:-}
[ -n "$out" ] || out=${positional[1]:-}
if [ -z "$host" ] || [ -z "$out" ]; then
  unsupported create_dh_cert.sh "a call without a hostname and an output directory" "$supported"
fi
if [ ! -f "$out/ca/ca.crt" ]; then
  dh_podman cert ca --out "$out/ca" --quiet
fi
# cert issue allows clientAuth by default (this shim used to ask for it with --client).
dh_podman cert issue --ca-dir "$out/ca" --hostname "$host" --out "$out"
