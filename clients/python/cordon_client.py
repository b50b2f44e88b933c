"""cordon_client — a client for `cordon serve` (Python standard library only).

    from cordon_client import Client
    c = Client("unix:/run/cordon.sock", token="...")   # or "127.0.0.1:8080"
    s = c.create_session(memory=512 << 20, ttl=600)
    c.put_file(s, "/home/user/data.csv", b"a,b\\n1,2\\n")
    r = c.exec(s, ["python3", "-c", "print(open('data.csv').read())"])
    print(r.stdout, r.exit_code)
    c.delete_session(s)

exec() streams NDJSON frames ({"stdout":..}, {"stderr":..}, {"truncated":..},
{"exit":{"code":..,"signal":..}} or {"error":..}); exec_frames() yields them
as they arrive. Output that is not UTF-8 comes as {"stdout_b64":..} or
{"stderr_b64":..}; ExecResult.stdout_bytes / stderr_bytes hold the exact
bytes, .stdout / .stderr the text (undecodable bytes replaced).
"""
import base64
import http.client
import json
import socket


class CordonError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


class ExecResult:
    def __init__(self):
        self.stdout_bytes = b""
        self.stderr_bytes = b""
        self.exit_code = None
        self.signal = None
        self.timed_out = False
        self.cpu_exceeded = False
        self.reason = None
        self.truncated = False
        self.error = None

    @property
    def stdout(self):
        return self.stdout_bytes.decode(errors="replace")

    @property
    def stderr(self):
        return self.stderr_bytes.decode(errors="replace")

    def __repr__(self):
        return (f"ExecResult(exit_code={self.exit_code}, signal={self.signal}, "
                f"error={self.error!r}, stdout={self.stdout[:60]!r})")


class Client:
    def __init__(self, address, token, timeout=600):
        self.address = address
        self.token = token
        self.timeout = timeout

    def _conn(self):
        if self.address.startswith("unix:"):
            return _UnixConnection(self.address[5:], self.timeout)
        host, _, port = self.address.rpartition(":")
        return http.client.HTTPConnection(host.strip("[]"), int(port), timeout=self.timeout)

    def _request(self, method, path, body=None, raw=False):
        conn = self._conn()
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return conn, resp

    def _json(self, method, path, body=None):
        conn, resp = self._request(method, path, body)
        try:
            data = resp.read()
            if resp.status >= 400:
                try:
                    msg = json.loads(data)["error"]
                except Exception:
                    msg = data.decode(errors="replace")
                raise CordonError(resp.status, msg)
            return json.loads(data) if data else None
        finally:
            conn.close()

    # sessions
    def create_session(self, memory=None, pids=None, disk=None, inodes=None, ttl=None, policy=None,
                       cpu=None):
        body = {k: v for k, v in (("memory", memory), ("pids", pids), ("disk", disk),
                                  ("inodes", inodes), ("ttl", ttl), ("policy", policy),
                                  ("cpu", cpu))
                if v is not None}
        return self._json("POST", "/v1/sessions", body)["id"]

    def list_sessions(self):
        return self._json("GET", "/v1/sessions")

    def session(self, sid):
        return self._json("GET", f"/v1/sessions/{sid}")

    def delete_session(self, sid):
        return self._json("DELETE", f"/v1/sessions/{sid}")

    # files
    def put_file(self, sid, path, data):
        if isinstance(data, str):
            data = data.encode()
        return self._json("PUT", f"/v1/sessions/{sid}/files{_abs(path)}", bytes(data))

    def get_file(self, sid, path):
        conn, resp = self._request("GET", f"/v1/sessions/{sid}/files{_abs(path)}")
        try:
            data = resp.read()
            if resp.status >= 400:
                raise CordonError(resp.status, json.loads(data).get("error", ""))
            return data
        finally:
            conn.close()

    # server
    def metrics(self):
        """/metrics as {"name{labels}": value}."""
        conn, resp = self._request("GET", "/metrics")
        try:
            text = resp.read().decode()
            if resp.status >= 400:
                raise CordonError(resp.status, text)
        finally:
            conn.close()
        return {k: float(v) for k, _, v in
                (line.rpartition(" ") for line in text.splitlines() if line and line[0] != "#")}

    # events
    def events(self, sid, follow=True):
        """The session's audit events (OTLP JSON log batches, one per line):
        those so far, then, with follow, each as it comes until the session ends."""
        conn, resp = self._request("GET", f"/v1/sessions/{sid}/events{'' if follow else '?follow=0'}")
        try:
            if resp.status >= 400:
                raise CordonError(resp.status, json.loads(resp.read()).get("error", ""))
            for line in resp:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    # exec
    def exec_frames(self, sid, argv, stdin=None, env=None, cwd=None, timeout=None):
        body = {"argv": list(argv)}
        if isinstance(stdin, (bytes, bytearray)):
            try:
                stdin = bytes(stdin).decode()
            except UnicodeDecodeError:   # not text: sent as base64, byte-exact
                body["stdin_b64"] = base64.b64encode(stdin).decode()
                stdin = None
        if stdin is not None:
            body["stdin"] = stdin
        if env:
            body["env"] = env
        if cwd:
            body["cwd"] = cwd
        if timeout:
            body["timeout"] = timeout
        conn, resp = self._request("POST", f"/v1/sessions/{sid}/exec", body)
        try:
            if resp.status >= 400:
                data = resp.read()
                raise CordonError(resp.status, json.loads(data).get("error", ""))
            for line in resp:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    def exec(self, sid, argv, **kw):
        r = ExecResult()
        for f in self.exec_frames(sid, argv, **kw):
            if "stdout" in f:
                r.stdout_bytes += f["stdout"].encode()
            elif "stdout_b64" in f:
                r.stdout_bytes += base64.b64decode(f["stdout_b64"])
            elif "stderr" in f:
                r.stderr_bytes += f["stderr"].encode()
            elif "stderr_b64" in f:
                r.stderr_bytes += base64.b64decode(f["stderr_b64"])
            elif "truncated" in f:
                r.truncated = True
            elif "exit" in f:
                r.exit_code = f["exit"]["code"]
                r.signal = f["exit"]["signal"]
                r.timed_out = f["exit"]["timed_out"]
                r.cpu_exceeded = f["exit"].get("cpu_exceeded", False)
                r.reason = f["exit"].get("reason")
            elif "error" in f:
                r.error = f["error"]
        return r


def _abs(path):
    return path if path.startswith("/") else "/" + path
