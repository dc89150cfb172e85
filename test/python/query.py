"""A real Deephaven client for the tests: pydeephaven over TLS, trusting only the given CA.

usage: query.py ADDRESS PORT CA_FILE NAME
Connects to ADDRESS:PORT and verifies the server's certificate for NAME (gRPC's target name
override, so any name can be checked without DNS), runs empty_table(5) and prints the rows it
read as JSON. Exits non-zero, with the error on stderr, when the TLS handshake or the query fails.
"""
import json
import sys

from pydeephaven import Session

address, port, ca_file, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(ca_file, "rb") as ca:
    roots = ca.read()
session = Session(
    host=address,
    port=port,
    use_tls=True,
    tls_root_certs=roots,
    client_opts=[("grpc.ssl_target_name_override", name)],
)
try:
    table = session.empty_table(5).update(["X = i * 2"])
    print(json.dumps(table.to_arrow().to_pydict()))
finally:
    session.close()
