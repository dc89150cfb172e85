"""A real Deephaven client for the tests: pydeephaven over TLS, trusting only the given CA.

usage: query.py ADDRESS PORT CA_FILE NAME [CLIENT_CERT CLIENT_KEY]
Connects to ADDRESS:PORT and verifies the server's certificate for NAME (gRPC's target name
override, so any name can be checked without DNS), runs empty_table(5) and prints the rows it
read as JSON. With CLIENT_CERT and CLIENT_KEY (PEM files) it presents that certificate to a
server that asks for one (mutual TLS). Exits non-zero, with the error on stderr, when the TLS handshake or the query fails.
"""
import json
import sys

from pydeephaven import Session

address, port, ca_file, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def read(path):
    with open(path, "rb") as file:
        return file.read()


client = {}
if len(sys.argv) > 6:
    client = {"client_cert_chain": read(sys.argv[5]), "client_private_key": read(sys.argv[6])}
roots = read(ca_file)
session = Session(
    host=address,
    port=port,
    use_tls=True,
    tls_root_certs=roots,
    client_opts=[("grpc.ssl_target_name_override", name)],
    **client,
)
try:
    table = session.empty_table(5).update(["X = i * 2"])
    print(json.dumps(table.to_arrow().to_pydict()))
finally:
    session.close()
