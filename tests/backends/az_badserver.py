#!/usr/bin/env python3
"""az_badserver.py: a tiny Azure Blob impostor for test_azure.c. It binds
127.0.0.1 port 0, prints "PORT <n> PID <p>" and serves until killed, with
answers a real service never gives. Standard library only.

  List Blobs (comp=list), prefix starting "cut"  200, a document cut short
  List Blobs, prefix starting "garbage"          200, bytes that are not XML
  List Blobs, other prefixes                     200, blobs "good" and ".."
  any request whose path holds "autherr"         403, a broken error body
  HEAD                                           404, x-ms-error-code
  anything else                                  500, "<Error><Code>" cut
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GOOD = (b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
        b'ContainerName="c"><Blobs><Blob><Name>good</Name><Properties>'
        b'<Content-Length>1</Content-Length></Properties></Blob><Blob>'
        b'<Name>..</Name><Properties><Content-Length>2</Content-Length>'
        b'</Properties></Blob></Blobs><NextMarker/></EnumerationResults>')
CUT = (b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>'
       b'<Blob><Name>a</Name><Properties><Content-Length>1</Content-Length>')
GARBAGE = b'\x00\x01 this is <<not xml at all &&& </Blob>'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        if "autherr" in u.path:
            return self.answer(403, b"<Error><Code>AuthenticationFailed</Co")
        if self.command == "HEAD":
            return self.answer(404, b"", [("x-ms-error-code", "BlobNotFound")])
        if q.get("comp") == ["list"]:
            prefix = q.get("prefix", [""])[0]
            if prefix.startswith("cut"):
                return self.answer(200, CUT)
            if prefix.startswith("garbage"):
                return self.answer(200, GARBAGE)
            return self.answer(200, GOOD)
        return self.answer(500, b"<Error><Code>Internal")

    do_GET = do_HEAD = do_PUT = do_DELETE = route


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("PORT %d PID %d" % (srv.server_address[1], os.getpid()), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
