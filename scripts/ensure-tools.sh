#!/usr/bin/env bash
# Installs the host tools the tests use as real clients (OpenSSL, a JDK for keytool and Java
# TLS clients) when they are missing. Needs root for apt-get; otherwise it says what to install.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v keytool >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "dh-podman: missing tools: ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) and run again" >&2
  exit 4
fi
echo "dh-podman: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
