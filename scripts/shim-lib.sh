# Shared by the drop-in shims (build_images.sh, start_command.sh, create_dh_cert.sh): runs the
# dh-podman of this checkout, or the one on PATH when the shims are installed elsewhere.
dh_podman() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if [ -f "$here/../dist/bundle/cli/main.js" ]; then
    "$here/dh-podman" "$@"
  else
    dh-podman "$@"
  fi
}

# unsupported NAME FLAG SUPPORTED: the one-line usage error every shim gives (exit 2).
unsupported() {
  echo "error: $1: $2 is not supported; supported: $3 (see docs/migration.md)" >&2
  exit 2
}
