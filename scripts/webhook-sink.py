#!/usr/bin/env python3
"""A webhook receiver for the demo: prints each delivery on one line.

Listens on 127.0.0.1 (port 0: any free one), prints its URL first.
"""
import http.server
import json
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        event = json.loads(body or b"{}")
        data = event.get("data", {})
        what = data.get("tag") or json.dumps(data.get("statistics", {}).get("totals", data))[:80]
        print(f"webhook <- {event.get('trigger')}: {what}  (Idempotency-Key {self.headers.get('idempotency-key')[:28]}…)",
              flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Sink)
print(f"http://127.0.0.1:{server.server_address[1]}/hook", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
