# The upstream API for tests/integration/test_http.c, run on the host:
#   python3 http_upstream.py REAL_KEY LOG [CERT KEY]
# Prints its port, then records every request it receives in LOG (one JSON
# line each) and answers whether the key it got was REAL_KEY — never the
# key itself, so the guest cannot learn it from the answer. With CERT and
# KEY it speaks HTTPS.
import http.server, json, ssl, sys

REAL, LOG = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self):
        rec = {"method": self.command, "path": self.path, "key": self.headers.get("x-api-key"),
               "forwarded": self.headers.get("x-forwarded-host"), "body": self.body().decode()}
        with open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")
        out = json.dumps({"real_key": rec["key"] == REAL, "body": rec["body"]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
