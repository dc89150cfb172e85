"""Starts the Deephaven Community server with the properties dh-podman derived.

dh-podman start mounts dh-podman.prop (ssl.identity.*, ssl.trust.* for the community TLS
profile); each property becomes a -D option of the server's JVM, which runs inside this process
(jpy), so nothing read here appears in any process's arguments. Heap and port come from DH_HEAP
and DH_PORT; the server binds every address of the pod.
"""
import os
import signal
import sys
import time

PROPERTIES = "/etc/sysconfig/deephaven/dh-podman.prop"


def read_properties(path):
    """key=value lines; '#' and '!' start comments (the subset of Java properties dh-podman writes)."""
    properties = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line or line[0] in "#!" or "=" not in line:
                continue
            key, value = line.split("=", 1)
            properties[key.strip()] = value.strip()
    return properties


def main():
    if not os.path.exists(PROPERTIES):
        sys.exit(f"dh-podman deephaven: {PROPERTIES} is missing; start this image with 'dh-podman start'")
    properties = read_properties(PROPERTIES)
    # Fail closed: without its identity Deephaven would serve plain HTTP. Properties of another
    # TLS profile (tls.keystore, from a start that did not see this image's label) are not enough.
    if properties.get("ssl.identity.type") != "privatekey":
        sys.exit(f"dh-podman deephaven: {PROPERTIES} has no ssl.identity.* (the community TLS profile); refusing to serve without TLS")
    # Users are not part of this profile yet: sessions are anonymous. TLS authenticates the server,
    # and with ssl.clientAuthentication (start --mtls) the client's certificate too.
    properties.setdefault("AuthHandlers", "io.deephaven.auth.AnonymousAuthenticationHandler")
    jvm_args = [f"-Xmx{os.environ.get('DH_HEAP', '2g')}"] + [f"-D{key}={value}" for key, value in properties.items()]

    # As PID 1 the process gets no default SIGTERM action: exit cleanly when Podman stops the pod.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    from deephaven_server import Server

    server = Server(host="0.0.0.0", port=int(os.environ.get("DH_PORT", "8123")), jvm_args=jvm_args)
    server.start()
    print(f"dh-podman deephaven: serving on port {os.environ.get('DH_PORT', '8123')}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
