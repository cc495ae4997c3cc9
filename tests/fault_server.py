"""A fault-injecting HTTP/1.1 server on 127.0.0.1: real sockets, answers written by hand.

`FaultServer().route(path, action, ...)`: each request for `path` takes the next action
(the last one repeats). An action is a (status, headers, body) tuple or a function
`action(conn, request) -> bool` (True: keep the connection alive) that writes what it
likes: nothing (a stall), headers a byte at a time, a body cut short, a gigabyte.
Unrouted paths answer 404, or what `fallback(request)` returns. Used by
tests/test_http_faults.py and bench/bench_http_faults.py.
"""
from __future__ import annotations

import gzip
import socket
import threading
import time
from typing import Callable


class Request:
    def __init__(self, method: str, path: str, headers: dict):
        self.method, self.path, self.headers = method, path, headers


class FaultServer:
    def __init__(self, inbox: str = "bpf"):
        self.routes: dict[str, list] = {}
        self.fallback: Callable[[Request], object] | None = None
        self.hits: list[str] = []
        self.sent = 0  # body bytes written by the streaming actions
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.root = f"http://127.0.0.1:{self.port}/"
        self.base = f"{self.root}{inbox}/"
        threading.Thread(target=self._accept, daemon=True).start()

    def route(self, path: str, *actions) -> None:
        self.routes[path] = list(actions)

    def close(self) -> None:
        self.stop.set()
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            for c in self._conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()

    # -- serving ------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while not self.stop.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length") or 0)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                buf = buf[length:]
                self.hits.append(path)
                req = Request(method, path, headers)
                actions = self.routes.get(path)
                if actions:
                    action = actions.pop(0) if len(actions) > 1 else actions[0]
                elif self.fallback is not None:
                    action = self.fallback(req)
                else:
                    action = (404, {}, b"not found")
                if callable(action):
                    keep = action(conn, req)
                else:
                    keep = answer(*action)(conn, req)
                if not keep:
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass


# -- actions ----------------------------------------------------------------------------
def _head(status: int, headers: dict) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, headers: dict | None = None, body: bytes = b""):
    """A well-formed answer with a Content-Length (kept alive)."""
    def act(conn, req) -> bool:
        h = {"Content-Length": str(len(body)), **(headers or {})}
        conn.sendall(_head(status, h) + body)
        return True
    return act


def stall(server: FaultServer):
    """Accept the request and say nothing until the server stops."""
    def act(conn, req) -> bool:
        server.stop.wait()
        return False
    return act


def drip(server: FaultServer, interval: float = 1.0, body: bytes = b"x"):
    """Headers (and then the body) a byte every `interval` seconds."""
    def act(conn, req) -> bool:
        data = _head(200, {"Content-Length": str(len(body))}) + body
        for i in range(len(data)):
            if server.stop.wait(interval):
                return False
            conn.sendall(data[i:i + 1])
        return True
    return act


def stream(server: FaultServer, size: int, declare: bool = True, chunk: bytes = b"\0" * 65536):
    """A 200 with `size` bytes of body, declared in Content-Length or close-delimited."""
    def act(conn, req) -> bool:
        h = {"Content-Type": "application/gzip"}
        if declare:
            h["Content-Length"] = str(size)
        else:
            h["Connection"] = "close"
        conn.sendall(_head(200, h))
        left = size
        while left > 0 and not server.stop.is_set():
            piece = chunk[:left]
            conn.sendall(piece)
            left -= len(piece)
            server.sent += len(piece)
        return False
    return act


def chunked_cut(body: bytes, keep: int, content_type: str = "application/gzip"):
    """A chunked answer (as public-inbox sends t.mbox.gz) whose connection closes after
    `keep` bytes of the body, with no final chunk."""
    def act(conn, req) -> bool:
        conn.sendall(_head(200, {"Content-Type": content_type, "Transfer-Encoding": "chunked"}))
        part = body[:keep]
        for i in range(0, len(part), 4096):
            piece = part[i:i + 4096]
            conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        return False
    return act


def gzip_bomb(size: int, prefix: bytes = b"From bomb@z Thu Jan  1 00:00:00 1970\nMessage-ID: <bomb@z>\n\n") -> bytes:
    """gzip data that inflates to `size` bytes (zeros after an mbox's first lines): one
    member per MB, each a ~1 KB copy of the same one (as `cat a.gz b.gz` makes)."""
    block = gzip.compress(b"\0" * (1 << 20), compresslevel=9)
    count, rest = divmod(size - len(prefix), 1 << 20)
    return gzip.compress(prefix, 1) + block * count + gzip.compress(b"\0" * rest, 1)


def slowly(server: FaultServer, seconds: float, then):
    """Wait `seconds`, then act as `then` (a tuple or an action)."""
    inner = then if callable(then) else answer(*then)

    def act(conn, req) -> bool:
        if server.stop.wait(seconds):
            return False
        return inner(conn, req)
    return act


def elapsed(fn, *args, **kwargs):
    """(result or the exception raised, seconds)."""
    t = time.monotonic()
    try:
        out = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller
        out = exc
    return out, time.monotonic() - t
