#!/usr/bin/env python3
"""test_server.py: a scripted HTTP/1.1 server for backends/http/test_http.c.

Run: test_server.py [--cert FILE --key FILE]. It binds 127.0.0.1 port 0,
prints "PORT <n>" on stdout and serves until killed. Standard library only.

Paths (KEY names an independent counter, so tests do not disturb each other):
  /echo                      200, JSON of the request: method, path, headers,
                             body length, body sha256, connection number
  /fail/KEY/N[?code=C&after=A&date=1]
                             answers C (default 503) N times, then like /echo;
                             A: a Retry-After of A seconds (date=1: as an
                             HTTP date A seconds ahead)
  /status/KEY/C              always answers status C (body "status C")
  /log/KEY                   JSON list of the requests seen under KEY: for
                             each, the X-Sig header, body length and sha256
  /cut/KEY/N?size=S          promises S bytes, sends half and closes the
                             connection, N times; then sends all S bytes
  /bytes/S                   S bytes of the pattern i % 251
  /slow/S?delay=D            S bytes, one byte every D seconds
  /conns                     JSON {"conns": n}: TCP connections accepted so far
Every request body is read in full before the answer.
"""
import email.utils
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
COUNTS = {}   # KEY -> requests seen
LOGS = {}     # KEY -> list of request summaries
CONNS = [0]   # TCP connections accepted


def pattern(n, start=0):
    """n bytes of the pattern (i % 251), beginning at offset start."""
    block = bytes(i % 251 for i in range(251)) * 64
    out = bytearray()
    pos = start
    while len(out) < n:
        off = pos % 251
        take = min(n - len(out), len(block) - off)
        out += block[off:off + take]
        pos += take
    return bytes(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with LOCK:
            CONNS[0] += 1
            self.conn_no = CONNS[0]

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def send(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"etag-%d"' % code)
        self.send_header("X-Test-Meta", "Some Value")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def summary(self, body):
        return {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "sig": self.headers.get("X-Sig"),
            "len": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "conn": self.conn_no,
        }

    def count(self, key, body):
        with LOCK:
            COUNTS[key] = COUNTS.get(key, 0) + 1
            LOGS.setdefault(key, []).append(self.summary(body))
            return COUNTS[key]

    def handle_any(self):
        body = self.read_body()
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        kind = parts[0]
        if kind == "echo":
            self.send(200, json.dumps(self.summary(body)).encode())
        elif kind == "fail":
            key, n = parts[1], int(parts[2])
            seen = self.count(key, body)
            if seen <= n:
                extra = {}
                if "after" in q:
                    after = int(q["after"])
                    if q.get("date"):
                        extra["Retry-After"] = email.utils.formatdate(
                            time.time() + after, usegmt=True)
                    else:
                        extra["Retry-After"] = str(after)
                code = int(q.get("code", "503"))
                self.send(code, b"try again", "text/plain", extra)
            else:
                self.send(200, json.dumps(self.summary(body)).encode())
        elif kind == "status":
            key, code = parts[1], int(parts[2])
            self.count(key, body)
            self.send(code, ("status %d" % code).encode(), "text/plain")
        elif kind == "log":
            with LOCK:
                data = json.dumps(LOGS.get(parts[1], [])).encode()
            self.send(200, data)
        elif kind == "cut":
            key, n, size = parts[1], int(parts[2]), int(q.get("size", "100000"))
            seen = self.count(key, body)
            if seen <= n:
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.write(pattern(size // 2))
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.send(200, pattern(size), "application/octet-stream")
        elif kind == "bytes":
            size = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command != "HEAD":
                off = 0
                while off < size:
                    n = min(1 << 20, size - off)
                    self.wfile.write(pattern(n, off))
                    off += n
        elif kind == "slow":
            size, delay = int(parts[1]), float(q.get("delay", "1"))
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            for i in range(size):
                self.wfile.write(pattern(1, i))
                self.wfile.flush()
                time.sleep(delay)
        elif kind == "conns":
            with LOCK:
                n = CONNS[0]
            self.send(200, json.dumps({"conns": n}).encode())
        else:
            self.send(400, b"unknown path", "text/plain")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients hang up on purpose (timeouts, closed streams, TLS
        # rejections); anything else is a bug worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


def main():
    args = sys.argv[1:]
    srv = Server(("127.0.0.1", 0), Handler)
    if "--cert" in args:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args[args.index("--cert") + 1],
                            args[args.index("--key") + 1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
