#!/usr/bin/env python3
"""A test-only proxy in front of moto that answers a share of the EC2 calls with
RequestLimitExceeded, as a busy AWS account does. It forwards every other request unchanged,
Host header included, so moto's signature check still holds.

Usage: throttle_proxy.py LISTEN_PORT MOTO_PORT SHARE [CALL_LOG]
With CALL_LOG, each forwarded call is logged there as "ACTION MILLISECONDS" (firm-bench counts
EC2 calls and measures moto's own latency from it). With PROXY_TLS_CERT and PROXY_TLS_KEY in
the environment (PEM files), it serves HTTPS, as AWS's endpoints do (moto behind it stays plain).

With HOLD_ACTION and HOLD_FILE in the environment, calls of that action that come while the
file exists are held unanswered (each prints "holding ACTION"), and dropped once it is gone: a
test kills firm while such a call is in flight. With HOLD_AFTER=1 the call is forwarded first,
so moto has done it and only its answer is held and lost; without, it never reaches moto.
Calls that come after the file is gone are forwarded as usual."""
import http.client
import os
import ssl
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN, UPSTREAM, SHARE = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
CALL_LOG = open(sys.argv[4], "a") if len(sys.argv) > 4 else None
LOG_LOCK = threading.Lock()
HOLD_ACTION, HOLD_FILE = os.environ.get("HOLD_ACTION"), os.environ.get("HOLD_FILE", "")
HOLD_AFTER = os.environ.get("HOLD_AFTER") == "1"
THROTTLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>"""


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if HOLD_ACTION and ("Action=" + HOLD_ACTION).encode() in body.split(b"&") and os.path.exists(HOLD_FILE):
            if HOLD_AFTER:
                self.forward(body)
            print("holding", HOLD_ACTION, flush=True)
            while os.path.exists(HOLD_FILE):
                time.sleep(0.05)
            self.close_connection = True
            return
        if random.random() < SHARE:
            print("throttled", body.split(b"&")[0].decode(), flush=True)
            self.answer(503, THROTTLED)
            return
        status, data = self.forward(body)
        self.answer(status, data)

    def forward(self, body):
        """Sends the call to moto, logs it, and returns moto's status and answer."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        connection.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in ("connection", "content-length"):
                connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        if CALL_LOG is not None:
            action = next((p[7:] for p in body.decode().split("&") if p.startswith("Action=")), "?")
            with LOG_LOCK:
                CALL_LOG.write("%s %.3f\n" % (action, (time.monotonic() - started) * 1000))
                CALL_LOG.flush()
        return response.status, data

    def answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy)
if os.environ.get("PROXY_TLS_CERT"):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["PROXY_TLS_CERT"], os.environ["PROXY_TLS_KEY"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", LISTEN, flush=True)
server.serve_forever()
