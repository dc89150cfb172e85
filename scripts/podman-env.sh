#!/usr/bin/env bash
# The Podman environment the end-to-end tests (and local runs) use, made by the project alone:
#   scripts/podman-env.sh start   install podman+runc if missing (as root), write a
#                                 project-owned containers.conf, start one API service on a
#                                 private socket; prints the socket path
#   scripts/podman-env.sh stop    stop that service
#   scripts/podman-env.sh env     print CONTAINER_HOST and CONTAINERS_CONF exports
#   scripts/podman-env.sh socket  print the socket path
# Nothing in /etc is changed: the configuration is used through CONTAINERS_CONF.
# DH_PODMAN_ENGINE_DIR picks the directory (default .test-work/podman, the tests' one).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${DH_PODMAN_ENGINE_DIR:-$PWD/.test-work/podman}
socket=$dir/podman.sock
# A Unix socket path must fit in 108 bytes; a deep checkout gets a short one named after it.
if [ ${#socket} -gt 100 ]; then
  socket=/tmp/dh-podman-$(printf %s "$dir" | sha256sum | cut -c1-16)/podman.sock
fi
conf=$dir/containers.conf
pidfile=$dir/service.pid
log=$dir/service.log

ping_socket() {
  [ -S "$socket" ] && curl -sf --max-time 2 --unix-socket "$socket" http://d/_ping >/dev/null 2>&1
}

install_podman() {
  # netavark and aardvark-dns by name: without them apt may pick CNI plugins instead, and pods
  # could not resolve each other's FQDN aliases.
  scripts/ensure-tools.sh podman:podman runc:runc /usr/lib/podman/netavark:netavark \
    /usr/lib/podman/aardvark-dns:aardvark-dns debootstrap:debootstrap curl:curl
}

# crun fails on these hosts (cgroups v1 hybrid), and Podman's default ulimits exceed the hard
# limits of small VMs; both are fixed here rather than in /etc.
write_conf() {
  local nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  [ "$nproc" = unlimited ] && nproc=65536
  nofile=$(( nofile < 4096 ? nofile : 4096 ))
  nproc=$(( nproc < 4096 ? nproc : 4096 ))
  mkdir -p "$dir"
  cat >"$conf" <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
CONF
}

start() {
  install_podman
  write_conf
  if ping_socket; then
    echo "$socket"
    return 0
  fi
  rm -f "$socket"
  mkdir -p -m 700 "$(dirname "$socket")"
  # podman reads CONTAINER_HOST itself and would act as a remote client: the service must not.
  CONTAINERS_CONF=$conf nohup env -u CONTAINER_HOST -u DOCKER_HOST podman system service --time=0 "unix://$socket" >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if ping_socket; then
      echo "$socket"
      return 0
    fi
    sleep 0.1
  done
  echo "podman-env: the service did not answer on $socket; its log:" >&2
  tail -5 "$log" >&2 || true
  return 4
}

stop() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  socket) echo "$socket" ;;
  env) printf 'export CONTAINER_HOST=unix://%s\nexport CONTAINERS_CONF=%s\n' "$socket" "$conf" ;;
  *) echo "usage: $0 start|stop|env|socket" >&2; exit 2 ;;
esac
