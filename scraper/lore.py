"""A small, polite public-inbox (lore) HTTP client.

Thin on purpose: http.client (stdlib) + an on-disk cache with a TTL, timeouts, retries with
backoff on 429/5xx honouring Retry-After, a minimum interval between requests,
and redirects followed only within the archive's own host. See README.md for
why this is not liblore.
"""
from __future__ import annotations

import gzip
import http.client
import hashlib
import os
import re
import subprocess
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, unquote, urljoin, urlsplit

from scraper.errors import ScrapeError
from scraper.mail import parse_message
from scraper.model import Message
from scraper.mbox import iter_raw_mbox_bytes

DEFAULT_LORE_URL = "https://lore.kernel.org/all/"
USER_AGENT = "hookdebate/0.1 (+https://github.com/hookdebate; kernel mailing-list debate checker)"

# Path suffixes lore puts after /<list>/<msgid>/
_SUFFIXES = {"", "T", "t", "raw", "t.mbox.gz", "t.atom", "#r", "#u"}
_MSGID_LIKE = re.compile(r"^<?[^<>\s/@]+@[^<>\s/@]+>?$")


def looks_like_msgid(text: str) -> bool:
    return bool(_MSGID_LIKE.match(text.strip()))


def configured_lore_url(explicit: str | None = None) -> str:
    """--lore-url, else HOOKDEBATE_LORE_URL, else b4.midmask (git config), else lore/all."""
    if explicit:
        return explicit
    env = os.environ.get("HOOKDEBATE_LORE_URL")
    if env:
        return env
    try:
        out = subprocess.run(["git", "config", "--get", "b4.midmask"], capture_output=True,
                             text=True, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return DEFAULT_LORE_URL


@dataclass(frozen=True)
class LoreRef:
    """Where a thread lives: the inbox base URL (ends with '/') and the bare Message-ID."""

    base: str
    message_id: str

    def url(self, suffix: str) -> str:
        return f"{self.base}{quote(self.message_id, safe='@!$&*+,;=:~')}/{suffix}"


def _base_from_mask(mask: str) -> str:
    if "%s" in mask:
        mask = mask.split("%s", 1)[0]
    return mask if mask.endswith("/") else mask + "/"


def parse_lore_ref(source: str, lore_url: str | None = None) -> LoreRef:
    """A Message-ID, <Message-ID>, or any public-inbox URL form → LoreRef."""
    text = source.strip()
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        segs = [unquote(s) for s in parts.path.split("/") if s]
        root = f"{parts.scheme}://{parts.netloc}/"
        if parts.netloc == "patch.msgid.link" or parts.netloc.endswith(".msgid.link"):
            if not segs:
                raise ScrapeError(f"{source}: no Message-ID in the URL")
            return LoreRef(_base_from_mask(configured_lore_url(lore_url)), segs[0])
        # find the first segment that looks like a Message-ID; what precedes is the inbox
        for i, seg in enumerate(segs):
            if "@" in seg:
                prefix = "/".join(segs[:i])
                base = root + (prefix + "/" if prefix else "")
                return LoreRef(base, bare(seg))
        raise ScrapeError(f"{source}: not a public-inbox message URL (expected .../<list>/<message-id>/)")
    if looks_like_msgid(text):
        return LoreRef(_base_from_mask(configured_lore_url(lore_url)), bare(text))
    raise ScrapeError(f"{source}: expected a Message-ID or a lore URL")


def bare(msgid: str) -> str:
    return msgid.strip().strip("<>").strip()


class LoreClient:
    def __init__(self, cache_dir: str | Path | None = None, ttl: float = 600.0,
                 use_cache: bool = True, timeout: float = 30.0, retries: int = 4,
                 min_interval: float = 0.1, backoff: float = 1.0, max_retry_after: float = 60.0):
        if cache_dir is None:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            cache_dir = Path(base) / "hookdebate" / "lore"
        self.cache_dir = Path(cache_dir)
        self.ttl = ttl
        self.use_cache = use_cache
        self.timeout = timeout
        self.retries = retries
        self.min_interval = min_interval
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}
        self._last_request = 0.0
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0}

    # -- cache ------------------------------------------------------------
    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()

    def _cache_get(self, url: str) -> bytes | None:
        if not self.use_cache:
            return None
        path = self._cache_path(url)
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        self.stats["cache_hits"] += 1
        return data

    def _cache_put(self, url: str, data: bytes) -> None:
        if not self.use_cache:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            path = self._cache_path(url)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            pass

    # -- HTTP -------------------------------------------------------------
    def _pace(self) -> None:
        wait = self._last_request + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()

    def _request(self, url: str, method: str = "GET") -> tuple[int, dict, bytes]:
        """One GET (or POST) over a kept-alive http.client connection (no redirects followed)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        for reuse in (True, False):
            conn = self._conns.get(key) if reuse else None
            if conn is None:
                cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
                conn = cls(parts.netloc, timeout=self.timeout)
                self._conns[key] = conn
            try:
                conn.request(method, path, body=b"" if method == "POST" else None,
                             headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
                resp = conn.getresponse()
                body = resp.read()
                headers = {k.lower(): v for k, v in resp.getheaders()}
                if resp.will_close:
                    conn.close()
                    self._conns.pop(key, None)
                return resp.status, headers, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._conns.pop(key, None)
                if not reuse:
                    raise
            except Exception:
                conn.close()
                self._conns.pop(key, None)
                raise
        raise AssertionError("unreachable")

    def _retry_after(self, headers: dict, attempt: int) -> float:
        value = headers.get("retry-after")
        delay = self.backoff * (2 ** attempt)
        if value:
            value = value.strip()
            if value.isdigit():
                delay = float(value)
            else:
                try:
                    delay = parsedate_to_datetime(value).timestamp() - time.time()
                except (TypeError, ValueError):
                    pass
        return max(0.0, min(delay, self.max_retry_after))

    def get(self, url: str, *, cache: bool = True, method: str = "GET") -> bytes:
        """GET url → body bytes (404 → NotFound, 501 → NotAvailable, both ScrapeErrors).

        method="POST" (an empty body) is for public-inbox's search-result mboxes, which
        it serves to POST only; the cache key is then "POST <url>".
        """
        key = url if method == "GET" else f"{method} {url}"
        if cache:
            hit = self._cache_get(key)
            if hit is not None:
                return hit
        host = urlsplit(url).netloc
        current = url
        redirects = 0
        attempt = 0
        while True:
            self._pace()
            self.stats["requests"] += 1
            try:
                status, headers, body = self._request(current, method)
            except (OSError, http.client.HTTPException) as exc:
                if attempt < self.retries:
                    attempt += 1
                    self.stats["retries"] += 1
                    time.sleep(self.backoff * (2 ** (attempt - 1)))
                    continue
                raise ScrapeError(f"{url}: cannot fetch: {exc.__class__.__name__}: {exc}") from None
            if status in (301, 302, 303, 307, 308):
                target = urljoin(current, headers.get("location", ""))
                if urlsplit(target).netloc != host:
                    raise ScrapeError(f"{url}: redirected to another host ({urlsplit(target).netloc}); refusing")
                redirects += 1
                if redirects > 5:
                    raise ScrapeError(f"{url}: too many redirects")
                current = target
                continue
            if status == 501:  # public-inbox: "Search is not available for this public-inbox"
                raise NotAvailable(f"{url}: not available on this server (501)")
            if status == 429 or status >= 500:
                if attempt < self.retries:
                    delay = self._retry_after(headers, attempt)
                    attempt += 1
                    self.stats["retries"] += 1
                    time.sleep(delay)
                    continue
                raise ScrapeError(f"{url}: server answered {status} after {attempt + 1} tries")
            if status in (404, 410):
                raise NotFound(f"{url}: not found ({status})")
            if status != 200:
                raise ScrapeError(f"{url}: server answered {status}")
            data = body
            if cache:
                self._cache_put(key, data)
            return data

    # -- threads ----------------------------------------------------------
    def thread_raws(self, ref: LoreRef) -> list[bytes]:
        """Every message of the thread as raw bytes: t.mbox.gz, else /raw + reference walk."""
        raws: list[bytes] = []
        try:
            data = self._cache_get(ref.url("t.mbox.gz"))
            if data is None:
                data = self.get(ref.url("t.mbox.gz"), cache=False)
            try:
                text = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                raise ScrapeError("truncated or corrupt t.mbox.gz")
            raws = list(iter_raw_mbox_bytes(text))
            # a valid gzip must end with a complete message set; cache it only then
            self._cache_put(ref.url("t.mbox.gz"), data)
        except NotFound:
            raws = []
        except ScrapeError:
            raws = []
        ids = {_mid_of(r) for r in raws}
        if ref.message_id not in ids:
            raws.extend(self._walk(ref, ids))
        if not raws:
            raise ScrapeError(f"{ref.message_id}: no such message at {ref.base}")
        return raws

    def _walk(self, ref: LoreRef, have: set) -> list[bytes]:
        """Fallback: fetch /raw of the message and every message it references."""
        out = []
        queue = [ref.message_id]
        while queue:
            mid = queue.pop(0)
            if mid in have:
                continue
            have.add(mid)
            try:
                raw = self.get(LoreRef(ref.base, mid).url("raw"))
            except NotFound:
                if mid == ref.message_id:
                    raise ScrapeError(f"{mid}: no such message at {ref.base}") from None
                continue
            out.append(raw)
            msg = parse_message(raw, origin=mid)
            for parent in msg.references + ((msg.in_reply_to,) if msg.in_reply_to else ()):
                if parent not in have:
                    queue.append(parent)
        return out

    def thread(self, ref: LoreRef) -> list[Message]:
        msgs = []
        for raw in self.thread_raws(ref):
            msgs.append(parse_message(raw, origin=ref.url("")))
        return msgs


    def list_raws(self, base: str, since: datetime | None) -> list[bytes]:
        """Every message of an inbox dated since `since` (a day), as raw bytes.

        public-inbox's search mbox (POST <inbox>/?q=d:YYYYMMDD..&x=m, what b4 uses). A
        server without a search index (indexlevel basic) answers 501: a clean error
        that points to the list's git epochs instead.
        """
        if since is None:
            raise ScrapeError(f"{base}: a whole list needs --since DATE (or clone its git epochs, "
                              f"git clone --mirror {base}0, and ingest the clone)")
        # a day early: the server reads d: in its own time zone; the exact cut is the caller's
        day = since.astimezone(timezone.utc) - timedelta(days=1)
        query = quote(f"d:{day:%Y%m%d}..", safe="")
        try:
            data = self.get(f"{base}?q={query}&x=m", method="POST")
        except NotAvailable:
            raise ScrapeError(f"{base}: this public-inbox has no search index, so it cannot list "
                              f"messages by date; clone its git epochs (git clone --mirror {base}0) "
                              "and ingest the clone with --since") from None
        except NotFound:  # "No results found"
            return []
        try:
            text = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            raise ScrapeError(f"{base}: truncated or corrupt search mbox") from None
        return list(iter_raw_mbox_bytes(text, base))


class NotFound(ScrapeError):
    pass


class NotAvailable(ScrapeError):
    pass


def list_base(source: str) -> str | None:
    """A public-inbox inbox URL (https://lore.kernel.org/<list>/) → its base; None otherwise."""
    if not source.startswith(("http://", "https://")):
        return None
    parts = urlsplit(source.strip())
    if parts.netloc == "patch.msgid.link" or parts.netloc.endswith(".msgid.link"):
        return None
    segs = [unquote(s) for s in parts.path.split("/") if s]
    if not segs or any("@" in s for s in segs) or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}/{'/'.join(segs)}/"


_HDR_MID = re.compile(rb"^Message-I[dD]:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.M | re.I)


def _mid_of(raw: bytes) -> str | None:
    head = raw.split(b"\n\n", 1)[0]
    m = _HDR_MID.search(head)
    if not m:
        return None
    return bare(re.sub(rb"\s+", b"", m.group(1)).decode("utf-8", "replace"))


def iter_thread(source: str, client: LoreClient, lore_url: str | None = None) -> Iterator[Message]:
    yield from client.thread(parse_lore_ref(source, lore_url))
