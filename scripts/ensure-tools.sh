#!/usr/bin/env bash
# Installs, from the OS packages, the tools named as COMMAND:PACKAGE pairs whose command is
# missing (COMMAND may be a path, e.g. /usr/sbin/iptables:iptables, for tools off a user's PATH).
# Without arguments: the tools the tests use as real clients (OpenSSL, a JDK for keytool and the
# Java TLS clients). Needs root for apt-get; otherwise it says what to install. All its output
# goes to stderr: callers keep stdout for their own result.
set -euo pipefail

# python3 and its venv module: `dh-podman build` downloads images/deephaven's wheels with pip from
# a venv, and the Deephaven end-to-end test runs pydeephaven in one. A package without a command
# is named by a file it installs (Debian 12's Python is 3.11). Headless Chromium and NSS's certutil:
# the Deephaven browser test loads the web IDE with the test CA trusted in Chromium's NSS database.
# etcdctl: the etcd test asks every member for its health over TLS, as an operator would.
[ $# -gt 0 ] || set -- openssl:openssl keytool:openjdk-17-jdk-headless javac:openjdk-17-jdk-headless \
  python3:python3 /usr/lib/python3.11/ensurepip/__init__.py:python3-venv \
  chromium:chromium certutil:libnss3-tools etcdctl:etcd-client

missing=()
for pair in "$@"; do
  tool=${pair%%:*}
  if [[ $tool == /* ]]; then [ -e "$tool" ] && continue
  else command -v "$tool" >/dev/null 2>&1 && continue
  fi
  missing+=("${pair#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "dh-podman: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) and run again" >&2
  exit 4
fi
echo "dh-podman: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# Every package is named by its caller; none is left to Recommends, which a host may turn off,
# or to Suggests, which apt never installs (Debian 12's podman only suggests iptables).
apt-get install -y -qq "${missing[@]}" >/dev/null
