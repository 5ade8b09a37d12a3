#!/usr/bin/env python3
"""A hostile HTTP/1.1 server for firm's tests, on 127.0.0.1, standard library only. Each mode is
one way a proxy, a half-dead server or a crafted endpoint misbehaves. It prints "ready" once it
listens and stops by itself after LIFETIME seconds (default 60), whatever is connected.

Usage: hostile_http.py PORT MODE [LIFETIME]

Modes:
  etcd-endless     etcd's gateway, but every range page holds one new key and says more follow
  continue-flood   100,000 "100 Continue" heads before each answer
  silent           reads the request and never answers
  trickle          a valid answer, one byte every 2 seconds
  stray            an empty etcd whose every answer is followed by an unasked-for one
  huge             an answer with an 80 MB chunk, as a 60 MB value is once base64-encoded
  ec2-endless      EC2's DescribeInstances whose nextToken never ends
  ec2-trailers     EC2 answers sent chunked, with HTTP trailers after the last chunk
"""
import base64
import json
import socket
import sys
import threading
import time

PORT, MODE = int(sys.argv[1]), sys.argv[2]
LIFETIME = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
DEADLINE = time.monotonic() + LIFETIME


def left():
    return max(0.0, DEADLINE - time.monotonic())


def read_request(conn, buffer):
    """One request (head and Content-Length body) from `buffer` plus the socket; None at EOF."""
    while b"\r\n\r\n" not in buffer:
        conn.settimeout(left() or 0.01)
        data = conn.recv(65536)
        if not data:
            return None, buffer
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        conn.settimeout(left() or 0.01)
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
    return (path, rest[:length]), rest[length:]


def answer(body, status="200 OK", content_type="application/json"):
    return ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (status, content_type, len(body))).encode() + body


def b64(text):
    return base64.b64encode(text.encode()).decode()


def etcd_answer(path, body):
    """Answers that keep an etcd client going, for everything but what the mode attacks."""
    request = json.loads(body or b"{}")
    if path == "/v3/kv/range":
        start = base64.b64decode(request.get("key", "")).decode()
        if "range_end" not in request:
            return {"header": {"revision": "5"}, "kvs": [], "count": "0"}
        # One new key after where the page starts, and "more" for ever.
        return {"header": {"revision": "5"}, "kvs": [{"key": b64(start + "a"), "value": b64("{}"), "create_revision": "2",
                                                      "mod_revision": "2", "version": "1"}], "more": True, "count": "1000000000"}
    if path == "/v3/lease/grant":
        return {"header": {"revision": "5"}, "ID": "7", "TTL": request.get("TTL", "15")}
    if path == "/v3/kv/txn":
        return {"header": {"revision": "6"}, "succeeded": True}
    return {"header": {"revision": "5"}}


EC2_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>
<reservationSet/><nextToken>token-%d</nextToken></DescribeInstancesResponse>"""
EC2_ZONES = """<?xml version="1.0" encoding="UTF-8"?>
<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>
<availabilityZoneInfo><item><zoneName>us-east-1a</zoneName><zoneState>available</zoneState></item></availabilityZoneInfo>
</DescribeAvailabilityZonesResponse>"""


def ec2_answer(body, count, endless):
    """DescribeInstances pages (whose nextToken never ends when `endless`), a zone, and empty
    answers for the rest."""
    action = next((p[7:] for p in body.decode().split("&") if p.startswith("Action=")), "")
    if action == "DescribeAvailabilityZones":
        return EC2_ZONES
    if action == "DescribeInstances":
        page = EC2_PAGE % count
        return page if endless else page.replace("<nextToken>token-%d</nextToken>" % count, "")
    return """<?xml version="1.0" encoding="UTF-8"?><%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId></%sResponse>""" % (action, action)


def reply(path, body, count):
    """A well-formed answer to the request, EC2's (a form body) or etcd's (JSON)."""
    if body.startswith(b"Action="):
        return answer(ec2_answer(body, count, False).encode(), content_type="text/xml")
    return answer(json.dumps(etcd_answer(path, body)).encode())


def serve(conn):
    buffer = b""
    count = 0
    try:
        while left() > 0:
            request, buffer = read_request(conn, buffer)
            if request is None:
                return
            path, body = request
            count += 1
            if MODE == "etcd-endless":
                conn.sendall(answer(json.dumps(etcd_answer(path, body)).encode()))
            elif MODE == "continue-flood":
                head = b"HTTP/1.1 100 Continue\r\n\r\n"
                for _ in range(100):
                    conn.sendall(head * 1000)
                conn.sendall(reply(path, body, count))
            elif MODE == "silent":
                time.sleep(left())
                return
            elif MODE == "trickle":
                for byte in reply(path, body, count):
                    conn.sendall(bytes([byte]))
                    time.sleep(min(2.0, left()))
                    if left() <= 0:
                        return
            elif MODE == "stray":
                # A store with nothing in it, whose every answer is followed, a moment later, by
                # one nobody asked for: read as the next request's, it says the txn failed.
                if path == "/v3/kv/range":
                    content = {"header": {"revision": "5"}, "kvs": [], "count": "0"}
                else:
                    content = etcd_answer(path, body)
                conn.sendall(answer(json.dumps(content).encode()))
                time.sleep(0.05)
                conn.sendall(answer(json.dumps({"header": {"revision": "99"}, "succeeded": False, "ID": "0"}).encode()))
                print("stray sent", flush=True)
            elif MODE == "huge":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (80 << 20))
                chunk = b"x" * (1 << 20)
                for _ in range(80):
                    if left() <= 0:
                        return
                    conn.sendall(chunk)
                conn.sendall(b"\r\n0\r\n\r\n")
            elif MODE == "ec2-endless":
                conn.sendall(answer(ec2_answer(body, count, True).encode(), content_type="text/xml"))
            elif MODE == "ec2-trailers":
                xml = ec2_answer(body, count, False).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                             + b"%x\r\n" % len(xml) + xml + b"\r\n0\r\nX-Checksum: abc\r\n\r\n")
            else:
                raise SystemExit("unknown mode " + MODE)
    except (OSError, ValueError):
        return
    finally:
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(64)
    print("ready", flush=True)
    while left() > 0:
        listener.settimeout(min(1.0, left()) or 0.01)
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
