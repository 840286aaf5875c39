"""Minimal OpenLineage HTTP receiver: appends every POSTed JSON body to a JSON-lines file.

Stdlib only, so it runs under any Python (the service's or the dbt virtualenv's):

    python tools/dbt/receiver.py --out /tmp/events.jsonl --port 0 --port-file /tmp/port

--port 0 picks a free port; the chosen port is printed and, with --port-file, written to a
file once the server is listening. Every POST path is accepted (the OpenLineage HTTP
transport posts to /api/v1/lineage) and answered with 201.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(out_path: str, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                line = json.dumps(json.loads(body), separators=(",", ":"))
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            with lock, open(out_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True, help="JSON-lines file the events are appended to")
    parser.add_argument("--port-file", help="write the listening port here once ready")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.out, threading.Lock()))
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"listening on http://{args.host}:{port}, writing {args.out}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
