"""A loopback JWKS server for remote_jwks_test, standard library only.

    jwks_server.py JWKS_FILE COUNT_FILE [--tls CERT KEY]

Binds 127.0.0.1 on a free port and prints the port as the first line of stdout. Paths:

    /jwks.json   the contents of JWKS_FILE, read on every request (the test swaps it by renaming
                 a new file over it); 503 while the file is missing
    /slow        sleeps 10 s, then answers /jwks.json's body
    /big         a 2 MiB body with a Content-Length
    /big-chunked a 2 MiB body, chunked, so the size is known only while reading
    /redirect    302 to /jwks.json
    /status500   500
    /notjson     200 with a body that is not JSON
    anything else 404

Every request is counted by path before it is answered; COUNT_FILE holds the counts as a JSON
object, replaced atomically, so the test can assert what the server saw. The server exits when
its stdin closes, so it never outlives the test, even one killed with SIGKILL.
"""

import http.server
import json
import os
import ssl
import sys
import threading
import time

BIG = 2 * 1024 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        self.server.count(self.path)
        route = {
            "/jwks.json": self.jwks,
            "/slow": self.slow,
            "/big": lambda: self.send(200, b"x" * BIG),
            "/big-chunked": self.big_chunked,
            "/redirect": lambda: self.send(302, b"", {"Location": "/jwks.json"}),
            "/status500": lambda: self.send(500, b"error"),
            "/notjson": lambda: self.send(200, b"this is not json"),
        }.get(self.path, lambda: self.send(404, b"not found"))
        route()

    def jwks(self):
        try:
            with open(self.server.jwks_file, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            self.send(503, b"no key set")
            return
        self.send(200, body, {"Content-Type": "application/jwk-set+json"})

    def slow(self):
        time.sleep(10)
        self.jwks()

    def big_chunked(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(BIG // len(chunk)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client gave up, as it should

    def send(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 (the signature http.server calls)
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, jwks_file, count_file, tls):
        super().__init__(("127.0.0.1", 0), Handler)
        self.jwks_file, self.count_file, self.tls = jwks_file, count_file, tls
        self.counts, self.lock = {}, threading.Lock()
        self.count(None)

    def count(self, path):
        with self.lock:
            if path is not None:
                self.counts[path] = self.counts.get(path, 0) + 1
            temporary = self.count_file + ".tmp"
            with open(temporary, "w") as f:
                json.dump(self.counts, f)
            os.replace(temporary, self.count_file)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so a client that stalls
        # or refuses the certificate cannot block the accept loop.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients hanging up early are part of the tests


def main(argv):
    if len(argv) not in (3, 6) or (len(argv) == 6 and argv[3] != "--tls"):
        sys.exit("usage: jwks_server.py JWKS_FILE COUNT_FILE [--tls CERT KEY]")
    tls = None
    if len(argv) == 6:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(argv[4], argv[5])
    server = Server(argv[1], argv[2], tls)
    print(server.server_address[1], flush=True)

    def exit_with_parent():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
