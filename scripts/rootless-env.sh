#!/usr/bin/env bash
# A rootless Podman for one ordinary user, made by the project alone (run as root):
#   scripts/rootless-env.sh start [IMAGE…]  make the user if missing, give the host what rootless
#                                           Podman needs, start the user's API service on
#                                           /run/user/UID/podman/podman.sock, copy IMAGEs from
#                                           root's test service into the user's storage; prints
#                                           the socket path
#   scripts/rootless-env.sh stop            stop that service
#   scripts/rootless-env.sh user            print the user's name
# DH_PODMAN_ROOTLESS_USER picks the user (default dhrootless). A step that cannot be done is
# named with its fix, and the script exits 4 (no rootless engine).
set -euo pipefail
cd "$(dirname "$0")/.."

user=${DH_PODMAN_ROOTLESS_USER:-dhrootless}

fail() {
  echo "rootless-env: $1: $2; $3" >&2
  exit 4
}

# The user and its subordinate id ranges: rootless Podman maps the container's uids (9000, the
# service account, among them) into them through newuidmap/newgidmap.
ensure_user() {
  id -u "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user" || fail "user" "useradd $user failed" "make the user by hand"
  local file
  for file in /etc/subuid /etc/subgid; do
    if ! grep -q "^$user:" "$file" 2>/dev/null; then
      # The next free range of 65536 after the highest one given out.
      local start
      start=$(awk -F: 'BEGIN { n = 100000 } { if ($2 + $3 > n) n = $2 + $3 } END { print n }' "$file" 2>/dev/null || echo 100000)
      echo "$user:$start:65536" >>"$file"
    fi
  done
}

ensure_host() {
  # uidmap gives newuidmap/newgidmap, slirp4netns the rootless network namespace's way out.
  scripts/ensure-tools.sh newuidmap:uidmap slirp4netns:slirp4netns
  [ -e /dev/net/tun ] || fail "host" "/dev/net/tun does not exist" "load the tun module (modprobe tun)"
  # slirp4netns opens /dev/net/tun as the user. Debian's udev rule makes it 0666 on ordinary
  # hosts; containers and VMs without udev leave it 0600, and then every rootless container
  # with a network fails with "open(\"/dev/net/tun\"): Permission denied".
  chmod 0666 /dev/net/tun
}

uid() { id -u "$user"; }
runtime_dir() { echo "/run/user/$(uid)"; }
socket() { echo "$(runtime_dir)/podman/podman.sock"; }
home() { getent passwd "$user" | cut -d: -f6; }
conf() { echo "$(home)/.config/containers/containers.conf"; }

as_user() {
  runuser -u "$user" -- env -u CONTAINER_HOST -u DOCKER_HOST HOME="$(home)" XDG_RUNTIME_DIR="$(runtime_dir)" CONTAINERS_CONF="$(conf)" "$@"
}

# The per-user runtime directory logind would make: netavark mounts the rootless network
# namespace's state under it and refuses a directory in /tmp.
ensure_runtime_dir() {
  local dir
  dir=$(runtime_dir)
  mkdir -p "$dir"
  chown "$user:" "$dir"
  chmod 0700 "$dir"
}

# The same fixes scripts/podman-env.sh makes for root (runc, ulimits within the hard limits),
# and the overlay driver: the kernel's own rootless overlay, instead of vfs's full copy of every
# layer of a 600 MB image.
write_conf() {
  local nofile nproc dir
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  [ "$nproc" = unlimited ] && nproc=65536
  nofile=$(( nofile < 4096 ? nofile : 4096 ))
  nproc=$(( nproc < 4096 ? nproc : 4096 ))
  dir=$(dirname "$(conf)")
  as_user mkdir -p "$dir"
  as_user tee "$(conf)" >/dev/null <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
CONF
  [ -e "$dir/storage.conf" ] || as_user tee "$dir/storage.conf" >/dev/null <<CONF
[storage]
driver = "overlay"
CONF
}

ping_socket() {
  curl -sf --max-time 2 --unix-socket "$(socket)" http://d/_ping >/dev/null 2>&1
}

start_service() {
  ping_socket && return 0
  as_user mkdir -p "$(dirname "$(socket)")"
  rm -f "$(socket)"
  local log
  log=$(runtime_dir)/podman/service.log
  # The service writes its own pid: $! would be runuser's, which outlives a signal to it. It
  # runs from /, not from the checkout that started it: a service whose working directory was
  # deleted (a removed checkout) cannot start containers ("exit status 1" from the infra).
  # shellcheck disable=SC2016 # $$ is the user's shell's, expanded there
  as_user nohup sh -c 'cd / && echo $$ >"$1"; exec podman system service --time=0 "unix://$2"' sh \
    "$(runtime_dir)/podman/service.pid" "$(socket)" >"$log" 2>&1 &
  for _ in $(seq 1 100); do
    ping_socket && return 0
    sleep 0.1
  done
  fail "service" "the user's service did not answer on $(socket): $(tail -1 "$log")" "see $log"
}

# Each image from root's test service into the user's storage, unless the user holds the same
# image (same ID) already: podman save | podman load, no rebuild.
copy_images() {
  local rootful image id
  rootful=$(scripts/podman-env.sh socket)
  [ $# -eq 0 ] || curl -sf --max-time 2 --unix-socket "$rootful" http://d/_ping >/dev/null 2>&1 ||
    fail "image" "root's test service does not answer on $rootful" "run: scripts/podman-env.sh start"
  for image in "$@"; do
    id=$(env -u CONTAINER_HOST podman --url "unix://$rootful" image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
      fail "image" "root's test service has no $image" "build it first (dh-podman build --only probe)"
    [ "$(as_user podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)" = "$id" ] && continue
    env -u CONTAINER_HOST podman --url "unix://$rootful" save "$image" | as_user podman load >/dev/null ||
      fail "image" "podman load of $image as $user failed" "run: runuser -u $user -- podman info"
  done
}

# Proves the rootless engine starts a container with a port published on loopback: the user
# namespace (newuidmap, the subordinate ranges) and slirp4netns (/dev/net/tun, the runtime dir),
# the steps that fail first on a host not set up for it.
prove() {
  local out
  out=$(as_user podman run --rm -p 127.0.0.1::8080 "$1" true 2>&1) || case "$out" in
    *tun*) fail "container start" "$(tail -1 <<<"$out")" "make /dev/net/tun readable and writable by users (chmod 0666 /dev/net/tun)" ;;
    *) fail "container start" "$(tail -1 <<<"$out")" "check /etc/subuid and /etc/subgid for $user and that uidmap and slirp4netns are installed" ;;
  esac
}

stop_service() {
  local pidfile
  pidfile=$(runtime_dir)/podman/service.pid
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start)
    shift
    [ "$(id -u)" = 0 ] || fail "setup" "must run as root" "run it with sudo"
    ensure_user
    ensure_host
    ensure_runtime_dir
    write_conf
    copy_images "$@"
    [ $# -gt 0 ] && prove "$1"
    start_service
    socket
    ;;
  stop) stop_service ;;
  user) echo "$user" ;;
  *) echo "usage: $0 start [IMAGE…]|stop|user" >&2; exit 2 ;;
esac
