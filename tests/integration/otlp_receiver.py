"""A minimal OTLP/HTTP logs receiver for the events tests: prints its port,
then appends "PATH BODY" per POST to the file named by argv[1] and answers
200 for a JSON POST to /v1/logs (404 otherwise)."""
import http.server
import json
import sys

out = open(sys.argv[1], "a", encoding="utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = self.path == "/v1/logs" and self.headers.get("Content-Type") == "application/json"
        json.loads(body)
        out.write(self.path + " " + body.decode() + "\n")
        out.flush()
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
