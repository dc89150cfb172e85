"""Runs a Python script on a Deephaven server, then reads one table of it: pydeephaven over TLS.

usage: run.py ADDRESS PORT CA_FILE NAME SCRIPT TABLE
Connects to ADDRESS:PORT trusting only CA_FILE and verifying the server's certificate for NAME
(gRPC's target name override, so the name needs no DNS on this host), runs SCRIPT in the
server's Python session (session.run_script), then prints the rows of the global TABLE as JSON.
Exits non-zero, with the error on stderr (the server's own words for a failed script), when the
connection, the script or the read fails.
"""
import json
import sys

from pydeephaven import Session

address, port, ca_file, name, script, table_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]

with open(ca_file, "rb") as file:
    roots = file.read()
session = Session(host=address, port=port, use_tls=True, tls_root_certs=roots, client_opts=[("grpc.ssl_target_name_override", name)])
try:
    session.run_script(script)
    print(json.dumps(session.open_table(table_name).to_arrow().to_pydict()))
finally:
    session.close()
