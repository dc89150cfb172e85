#!/usr/bin/env bash
# The Podman environment the end-to-end tests (and local runs) use, made by the project alone:
#   scripts/podman-env.sh start   install Podman and what it needs if missing (as root), write a
#                                 project-owned containers.conf, start one API service on a
#                                 private socket, prove it (a container starts, a published
#                                 port answers on loopback, a network alias resolves from
#                                 another container); prints the socket path, proof on stderr
#   scripts/podman-env.sh stop    stop that service
#   scripts/podman-env.sh env     print CONTAINER_HOST and CONTAINERS_CONF exports
#   scripts/podman-env.sh socket  print the socket path
# Nothing in /etc is changed: the configuration is used through CONTAINERS_CONF.
# DH_PODMAN_ENGINE_DIR picks the directory (default .test-work/podman, the tests' one).
# DH_PODMAN_CONTAINER_ENV: KEY=VALUE lines every container of this service gets (containers.conf
# env), read when the service starts.
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
  # Every package by name, none left to Recommends or Suggests: netavark and aardvark-dns (else
  # apt may pick CNI plugins, and pods could not resolve each other's FQDN aliases); iptables,
  # which netavark runs to set up every bridge network and published port (Debian 12's podman
  # only suggests it); catatonit, the init of each pod's infra container; busybox-static for
  # the proof's image; debootstrap for the base image; curl for the proof and the pings.
  scripts/ensure-tools.sh podman:podman runc:runc /usr/lib/podman/netavark:netavark \
    /usr/lib/podman/aardvark-dns:aardvark-dns /usr/sbin/iptables:iptables \
    /usr/bin/catatonit:catatonit /bin/busybox:busybox-static /usr/sbin/debootstrap:debootstrap curl:curl
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
  local env_line="" pair
  while IFS= read -r pair; do
    [ -n "$pair" ] || continue
    case $pair in
      *\"*|*\\*) echo "podman-env: DH_PODMAN_CONTAINER_ENV: no quotes or backslashes in '$pair'" >&2; exit 2 ;;
      ?*=*) env_line="$env_line${env_line:+, }\"$pair\"" ;;
      *) echo "podman-env: DH_PODMAN_CONTAINER_ENV: '$pair' is not KEY=VALUE" >&2; exit 2 ;;
    esac
  done <<<"${DH_PODMAN_CONTAINER_ENV:-}"
  cat >"$conf" <<CONF
[containers]
${env_line:+env = [$env_line]}
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
CONF
}

start() {
  install_podman
  # A running service keeps the configuration it started with: the file is written only for a
  # service about to start, so it always says what the running one read.
  if ping_socket; then
    [ -f "$conf" ] || write_conf
    prove
    echo "$socket"
    return 0
  fi
  write_conf
  rm -f "$socket"
  mkdir -p -m 700 "$(dirname "$socket")"
  # podman reads CONTAINER_HOST itself and would act as a remote client: the service must not.
  CONTAINERS_CONF=$conf nohup env -u CONTAINER_HOST -u DOCKER_HOST podman system service --time=0 "unix://$socket" >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if ping_socket; then
      prove
      echo "$socket"
      return 0
    fi
    sleep 0.1
  done
  echo "podman-env: the service did not answer on $socket; its log:" >&2
  tail -5 "$log" >&2 || true
  return 4
}

# The tiny image the proof runs: the host's static busybox with every applet linked, imported
# (no registry is reachable) once per machine and found again by tag. `dh-podman doctor` makes
# the same image through the API when it is missing.
PROBE_IMAGE=localhost/dh-podman/busybox:latest

# podman as a client of the service just started: the proof is about that service.
remote() {
  env -u CONTAINER_HOST -u DOCKER_HOST podman --url "unix://$socket" "$@"
}

# Podman's own words: the last line of its output, without the CLI's "Error: ".
words() {
  tail -1 <<<"$1" | sed 's/^Error: //'
}

# fail STEP WHAT FIX: the one line a person needs, then exit 4 (the engine is not usable).
fail() {
  echo "podman-env: $1: $2; $3" >&2
  exit 4
}

probe_image() {
  remote image exists "$PROBE_IMAGE" && return 0
  local busybox tree
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || fail "probe image" "busybox is not installed" "install busybox-static (apt-get install busybox-static)"
  # A dynamic busybox cannot run in an image without a C library.
  if ldd "$busybox" >/dev/null 2>&1; then
    fail "probe image" "$busybox is dynamically linked" "install busybox-static (apt-get install busybox-static)"
  fi
  tree=$(mktemp -d)
  mkdir "$tree/bin"
  cp "$busybox" "$tree/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tree/bin/$applet"
  done
  local out
  if ! out=$(tar -C "$tree" -c . | remote import - "$PROBE_IMAGE" 2>&1); then
    rm -rf "$tree"
    fail "probe image" "podman import failed: $(words "$out")" "run: podman info"
  fi
  rm -rf "$tree"
}

# The fix for Podman's words about a network step: netavark without iptables says "netavark:
# No such file or directory"; anything else is shown as Podman said it.
network_fix() {
  case "$1" in
    *netavark*"No such file or directory"*|*iptables*) echo "install iptables (apt-get install iptables)" ;;
    *) echo "see: podman network ls; podman info" ;;
  esac
}

# Proves the service runs what the project needs, in seconds, with names of its own and no
# pull: a container starts (runtime, ulimits), a port published on loopback answers curl from
# the host (netavark, iptables), and a container resolves another's network alias and fetches
# from it (aardvark-dns). Every step that fails names itself and the fix, and exits 4.
prove() {
  local id=dh-podman-proof-$$-$RANDOM out port
  local net=$id alias=web.$id.test web=$id-web client=$id-client
  # On every way out, a failed step's exit included.
  # shellcheck disable=SC2064 # the names are fixed now
  trap "remote rm -f -t 0 $web $client >/dev/null 2>&1; remote network rm -f $net >/dev/null 2>&1" EXIT
  probe_image

  if ! out=$(remote run --rm --network none "$PROBE_IMAGE" true 2>&1); then
    case "$out" in
      *cgroup*) fail "container start" "$(words "$out")" 'set runtime = "runc" under [engine] in containers.conf (apt-get install runc)' ;;
      *rlimit*|*RLIMIT*) fail "container start" "$(words "$out")" "set lower default_ulimits under [containers] in containers.conf" ;;
      *) fail "container start" "$(words "$out")" "run: podman info" ;;
    esac
  fi
  echo "podman-env: proof: container start ok ($PROBE_IMAGE)" >&2

  out=$(remote network create "$net" 2>&1) || fail "port publishing" "no network: $(words "$out")" "see: podman network ls; podman info"
  if ! out=$(remote run -d --name "$web" --network "$net" --network-alias "$alias" -p 127.0.0.1::8080 "$PROBE_IMAGE" \
    sh -c "mkdir -p /www && echo $id >/www/index.html && exec httpd -f -p 8080 -h /www" 2>&1); then
    fail "port publishing" "$(words "$out")" "$(network_fix "$out")"
  fi
  port=$(remote port "$web" 8080/tcp 2>/dev/null | sed -n 's/^127\.0\.0\.1://p' | head -1 || true)
  [ -n "$port" ] || fail "port publishing" "$web published no loopback port: $(remote logs "$web" 2>&1 | tail -1)" "see: podman logs $web"
  out=""
  for _ in $(seq 1 20); do
    out=$(curl -s --max-time 2 "http://127.0.0.1:$port/" || true)
    [ "$out" = "$id" ] && break
    sleep 0.1
  done
  [ "$out" = "$id" ] || fail "port publishing" "127.0.0.1:$port did not answer from $web" "install iptables (apt-get install iptables) and check that no firewall drops loopback traffic"
  echo "podman-env: proof: port publishing ok (127.0.0.1:$port answered)" >&2

  # exit 3: the alias did not resolve; exit 4: it resolved but the fetch failed. The lookup is
  # tried 10 times, half a second apart: on a loaded machine a container's first query can come
  # before aardvark-dns answers for the network (one try failed that way in a test run).
  local status=0
  out=$(remote run --rm --name "$client" --network "$net" "$PROBE_IMAGE" \
    sh -c "n=0; until timeout 2 nslookup $alias >/dev/null 2>&1; do n=\$((n+1)); [ \$n -lt 10 ] || exit 3; sleep 0.5; done
      timeout 10 wget -q -O - http://$alias:8080/ || exit 4" 2>&1) || status=$?
  case "$status" in
    0) [ "$out" = "$id" ] || fail "alias DNS" "$alias answered \"$out\"" "see: podman network inspect $net" ;;
    3) fail "alias DNS" "$alias did not resolve from another container in 10 tries" "install aardvark-dns (apt-get install aardvark-dns)" ;;
    4) fail "alias DNS" "$alias resolved but did not answer from another container" "check that no firewall drops traffic between containers" ;;
    *) fail "alias DNS" "$(words "$out")" "$(network_fix "$out")" ;;
  esac
  echo "podman-env: proof: alias DNS ok ($alias resolved and answered from another container)" >&2
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
