"""HTTP for the scraper: one requests.Session with urllib3's Retry, held to scraper.limits.

Imported by LoreClient on its first network request only (requests and urllib3 cost
~60 ms of imports that --help, report or the ingest of files never pay).

- Retries: urllib3's Retry on 429, 5xx (not 501) and refused or reset connections,
  exponential backoff, Retry-After honoured up to `retry_after_seconds` (a server asking
  for more is an error at once, not a wait) and all waits of a command within
  `wait_seconds` and the command's deadline.
- Deadlines: a socket timeout (`idle_seconds`) restarts with every byte, so a server that
  drips its headers a byte a second never trips it. Each attempt is also given a timer
  that shuts its socket down at `request_seconds` (or at the command's deadline, if that
  comes first): whatever urllib3 or http.client was blocked in then returns, and the
  request fails with the limit's name.
- Size: bodies are streamed into a temporary file (in memory up to 1 MB), counted as they
  come; more than `response_bytes` stops the transfer. Only identity or gzip/deflate
  content-encodings are accepted, inflated here under the same cap.
- No redirects are followed here (LoreClient follows same-host ones itself).
"""
from __future__ import annotations

import socket
import tempfile
import threading
import time
import zlib

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InvalidHeader, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from scraper.errors import ScrapeError
from scraper.limits import Limits

_local = threading.local()
_RETRY_STATUSES = frozenset([429, *range(500, 600)]) - {501}


class GiveUp(ScrapeError):
    """The server is unresponsive or asks us to stay away: trying other URLs of the same
    server (a thread's /raw after its t.mbox.gz) would only repeat the wait."""


class _Guard:
    """The deadline of the request in progress on this thread (see the module's doc)."""

    def __init__(self, web: "Web", url: str):
        self.web, self.url = web, url
        self.expired: str | None = None
        self._timer: threading.Timer | None = None
        self._conn = None
        self._lock = threading.Lock()

    def arm(self, conn) -> None:
        """A new attempt starts on `conn`: its own request_seconds, within the command's."""
        with self._lock:
            if conn is self._conn and self._timer is not None:
                return
            self._cancel()
            self._conn = conn
            now = time.monotonic()
            limits = self.web.limits
            until, which = now + limits.request_seconds, "request_seconds"
            if self.web.deadline < until:
                until, which = self.web.deadline, "command_seconds"
            if until <= now:
                self.expired = which
                raise self.error()
            timer = threading.Timer(until - now, self._fire, (conn, which))
            timer.daemon = True
            self._timer = timer
            timer.start()

    def _fire(self, conn, which: str) -> None:
        with self._lock:
            if self._conn is not conn or self._timer is None:
                return
            self.expired = which
            sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        with self._lock:
            self._cancel()
            self._conn = None

    def error(self) -> GiveUp:
        limits = self.web.limits
        if self.expired == "command_seconds":
            return GiveUp(f"{self.url}: the command's HTTP work passed its {limits.command_seconds:g} s "
                          "(limit command_seconds)")
        return GiveUp(f"{self.url}: no complete answer within {limits.request_seconds:g} s "
                      "(limit request_seconds)")


def _arm(conn) -> None:
    guard = getattr(_local, "guard", None)
    if guard is not None:
        guard.arm(conn)


class _Guarded:
    """A connection that arms the thread's deadline guard before it connects or sends."""

    def connect(self):
        _arm(self)
        super().connect()

    def request(self, *args, **kwargs):
        _arm(self)
        return super().request(*args, **kwargs)


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Retry(Retry):
    """urllib3's Retry whose waits are held to the limits of the request's client."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        guard = getattr(_local, "guard", None)
        if guard is not None and guard.expired:
            raise guard.error()
        if isinstance(error, ReadTimeoutError):
            # a server that said nothing for idle_seconds is not asked again (a reset
            # kept-alive connection still is, once)
            raise MaxRetryError(_pool, url, error)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:
        guard = getattr(_local, "guard", None)
        wait = None
        if response is not None and self.respect_retry_after_header:
            value = (response.headers.get("Retry-After") or "").strip()
            try:  # (urllib3 clips what it parses at 6 hours: the message names what was asked)
                wait = float(value) if value.isdigit() else self.get_retry_after(response)
            except InvalidHeader:
                wait = None
        if guard is None:
            time.sleep(wait if wait is not None else self.get_backoff_time())
            return
        web, limits = guard.web, guard.web.limits
        if wait is not None and wait > limits.retry_after_seconds:
            raise GiveUp(f"{guard.url}: the server asks to retry after {wait:g} s, more than "
                         f"{limits.retry_after_seconds:g} s (limit retry_after_seconds); giving up")
        if wait is None:
            wait = self.get_backoff_time()
        web.wait(wait, guard.url)


class Answer:
    """One HTTP answer: status, lower-cased headers, the body in a (spooled) file."""

    def __init__(self, status: int, headers: dict, body, size: int, retries: int):
        self.status, self.headers, self.body, self.size, self.retries = status, headers, body, size, retries

    def read(self) -> bytes:
        self.body.seek(0)
        return self.body.read()

    def close(self) -> None:
        self.body.close()


class Web:
    """The session of one command: its deadline starts with its first request."""

    def __init__(self, limits: Limits, user_agent: str):
        self.limits = limits
        self.deadline = time.monotonic() + limits.command_seconds
        self.waited = 0.0
        self._last = 0.0
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept": "*/*",
                                     "Accept-Encoding": "identity"})
        retry = _Retry(total=limits.retries, connect=limits.retries, read=1, status=limits.retries,
                       other=0, redirect=0, backoff_factor=limits.backoff_seconds,
                       backoff_max=limits.retry_after_seconds, status_forcelist=_RETRY_STATUSES,
                       allowed_methods=frozenset(["GET", "POST"]), respect_retry_after_header=True,
                       raise_on_status=False, raise_on_redirect=False)
        adapter = _Adapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def wait(self, seconds: float, url: str) -> None:
        """A retry's wait, within wait_seconds and the command's deadline."""
        seconds = max(0.0, seconds)
        limits = self.limits
        if self.waited + seconds > limits.wait_seconds:
            raise GiveUp(f"{url}: retrying would wait {self.waited + seconds:g} s in all, more than "
                         f"{limits.wait_seconds:g} s (limit wait_seconds); giving up")
        if time.monotonic() + seconds > self.deadline:
            raise GiveUp(f"{url}: retrying would pass the command's {limits.command_seconds:g} s "
                         "(limit command_seconds); giving up")
        self.waited += seconds
        time.sleep(seconds)

    def _pace(self) -> None:
        wait = self._last + self.limits.min_interval_seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()

    def request(self, url: str, method: str = "GET") -> Answer:
        """One request (urllib3 retrying as above) → its Answer; ScrapeError otherwise."""
        limits = self.limits
        if time.monotonic() >= self.deadline:
            raise GiveUp(f"{url}: the command's HTTP work passed its {limits.command_seconds:g} s "
                         "(limit command_seconds)")
        self._pace()
        guard = _Guard(self, url)
        _local.guard = guard
        body = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        try:
            try:
                resp = self.session.request(method, url, stream=True, allow_redirects=False,
                                            data=b"" if method == "POST" else None,
                                            timeout=(limits.connect_seconds, limits.idle_seconds))
            except requests.RequestException as exc:
                raise self._failure(url, exc, guard) from None
            try:
                headers = {k.lower(): v for k, v in resp.headers.items()}
                history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
                size = self._stream(resp, headers, body, url, guard) if resp.status_code == 200 else 0
            except (requests.RequestException, OSError, ValueError) as exc:
                raise self._failure(url, exc, guard) from None
            except Exception as exc:  # urllib3's own (ProtocolError...) from the raw stream
                if exc.__class__.__module__.startswith("urllib3"):
                    raise self._failure(url, exc, guard) from None
                raise
            finally:
                resp.close()
            if guard.expired:  # the socket was shut down: what arrived may look complete
                raise guard.error()
            body.seek(0)
            return Answer(resp.status_code, headers, body, size, len(history))
        except BaseException:
            body.close()
            raise
        finally:
            guard.close()
            _local.guard = None

    def _stream(self, resp, headers: dict, body, url: str, guard: _Guard) -> int:
        cap = self.limits.response_bytes
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise ScrapeError(f"{url}: the answer is {int(declared):,} bytes, more than "
                              f"{cap:,} (limit response_bytes)")
        encoding = headers.get("content-encoding", "identity").strip().lower()
        inflate = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflate = zlib.decompressobj(47)  # gzip or zlib header
        elif encoding not in ("", "identity"):
            raise ScrapeError(f"{url}: the server sent an unsupported content-encoding {encoding!r}")
        size = 0
        for chunk in resp.raw.stream(1 << 16, decode_content=False):
            if inflate is not None:
                raw, chunk = chunk, b""
                while raw:
                    if inflate.eof:  # another gzip member
                        inflate = zlib.decompressobj(47)
                    chunk += inflate.decompress(raw, cap + 1 - size - len(chunk))
                    if inflate.unconsumed_tail or size + len(chunk) > cap:
                        chunk += b"\0"  # (past the cap: stop)
                        break
                    raw = inflate.unused_data
            size += len(chunk)
            if size > cap:
                raise ScrapeError(f"{url}: the answer is more than {cap:,} bytes (limit response_bytes); "
                                  "stopped reading")
            body.write(chunk)
            if guard.expired:
                raise guard.error()
        if inflate is not None and not inflate.eof:
            raise ScrapeError(f"{url}: the answer's {encoding} content-encoding is truncated")
        return size

    def _failure(self, url: str, exc: BaseException, guard: _Guard) -> ScrapeError:
        if guard.expired:
            return guard.error()
        if isinstance(exc, GiveUp):
            return exc
        limits = self.limits
        text = f"{exc.__class__.__name__}: {exc}"
        if isinstance(exc, requests.ConnectTimeout):
            return GiveUp(f"{url}: no connection within {limits.connect_seconds:g} s "
                          "(limit connect_seconds)")
        if isinstance(exc, requests.ReadTimeout) or "timed out" in text.lower():
            return GiveUp(f"{url}: the server sent nothing for {limits.idle_seconds:g} s "
                          "(limit idle_seconds)")
        reason = exc
        while getattr(reason, "reason", None) is not None and reason is not reason.reason:
            reason = reason.reason
        if isinstance(reason, GiveUp):
            return reason
        if any(m in text for m in ("IncompleteRead", "ChunkedEncodingError", "Connection broken",
                                   "ended prematurely")):
            return ScrapeError(f"{url}: the answer was cut short (the connection closed before its end)")
        return ScrapeError(f"{url}: cannot fetch: {text.splitlines()[0][:300]}")

    def close(self) -> None:
        self.session.close()
