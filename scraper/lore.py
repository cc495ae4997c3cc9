"""A small, polite public-inbox (lore) HTTP client.

Thin on purpose: a requests.Session with urllib3's Retry (scraper.web, imported on the
first request only) + an on-disk cache with a TTL, every wait and size held to
scraper.limits, a minimum interval between requests, and redirects followed only within
the archive's own host. See README.md for why this is not liblore.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import quote, unquote, urljoin, urlsplit

from scraper.errors import ScrapeError
from scraper.limits import Limits
from scraper.sniff import looks_like_html
from scraper.mbox import iter_raw_mbox_file, write_mboxrd

if TYPE_CHECKING:
    from scraper.model import Message

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
    """Thread and list fetches from a public-inbox, held to scraper.limits.Limits.

    `LoreClient(cache_dir, ttl, use_cache, limits=Limits(...), on_warning=f, NAME=VALUE...)`:
    NAME=VALUE changes one limit. Warnings (a thread that could only be read in part, a
    /raw answering another Message-ID...) go to on_warning (default: stderr) and collect
    in .warnings.
    """

    def __init__(self, cache_dir: str | Path | None = None, ttl: float = 600.0,
                 use_cache: bool = True, limits: Limits | None = None, on_warning=None, **overrides):
        if cache_dir is None:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            cache_dir = Path(base) / "hookdebate" / "lore"
        self.cache_dir = Path(cache_dir)
        self.ttl = ttl
        self.use_cache = use_cache
        self.limits = (limits or Limits()).replace(**overrides)
        self.on_warning = on_warning
        self.warnings: list[str] = []
        self._web = None
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0}

    def warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning is not None:
            self.on_warning(text)
        else:
            print(f"warning: {text}", file=sys.stderr)

    # -- cache ------------------------------------------------------------
    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()

    def _cache_open(self, url: str):
        """The fresh cached answer for url as an open file, or None."""
        if not self.use_cache:
            return None
        path = self._cache_path(url)
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            fh = open(path, "rb")
        except OSError:
            return None
        self.stats["cache_hits"] += 1
        return fh

    def _cache_get(self, url: str) -> bytes | None:
        fh = self._cache_open(url)
        if fh is None:
            return None
        with fh:
            return fh.read()

    def _cache_put(self, url: str, data) -> None:
        """Store bytes or the rest of an open binary file (only answers already checked)."""
        if not self.use_cache:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            path = self._cache_path(url)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            with open(tmp, "wb") as out:
                if isinstance(data, (bytes, bytearray)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1 << 20)
            os.replace(tmp, path)
        except OSError:
            pass

    def _cache_drop(self, url: str) -> None:
        try:
            self._cache_path(url).unlink()
        except OSError:
            pass

    # -- HTTP -------------------------------------------------------------
    def _session(self):
        if self._web is None:
            from scraper.web import Web  # requests and urllib3: network paths only

            self._web = Web(self.limits, USER_AGENT)
        return self._web

    def _download(self, url: str, method: str = "GET"):
        """url → its 200 answer's body as an open file (same-host redirects followed).

        404/410 → NotFound, 501 → NotAvailable, a 429 or 5xx left after the retries →
        ScrapeError (GiveUp for 429: the server asks us to stay away)."""
        web = self._session()
        host = urlsplit(url).netloc
        current = url
        for _ in range(6):
            self.stats["requests"] += 1
            answer = web.request(current, method)
            self.stats["retries"] += answer.retries
            status = answer.status
            if status == 200:
                return answer.body
            answer.close()
            if status in (301, 302, 303, 307, 308):
                target = urljoin(current, answer.headers.get("location", ""))
                if urlsplit(target).netloc != host:
                    raise ScrapeError(f"{url}: redirected to another host ({urlsplit(target).netloc}); refusing")
                current = target
                continue
            if status == 501:  # public-inbox: "Search is not available for this public-inbox"
                raise NotAvailable(f"{url}: not available on this server (501)")
            if status == 429:
                raise _give_up(f"{url}: server answered 429 (too many requests) after {answer.retries + 1} tries")
            if status >= 500:
                raise ScrapeError(f"{url}: server answered {status} after {answer.retries + 1} tries")
            if status in (404, 410):
                raise NotFound(f"{url}: not found ({status})")
            raise ScrapeError(f"{url}: server answered {status}")
        raise ScrapeError(f"{url}: too many redirects")

    def get(self, url: str, *, cache: bool = True, method: str = "GET", check=None) -> bytes:
        """GET url → body bytes (404 → NotFound, 501 → NotAvailable, both ScrapeErrors).

        check(data) raises ScrapeError for an answer that is not what was asked for (an
        HTML error page served with 200...): that answer is never cached.
        method="POST" (an empty body) is for public-inbox's search-result mboxes, which
        it serves to POST only; the cache key is then "POST <url>".
        """
        key = url if method == "GET" else f"{method} {url}"
        if cache:
            hit = self._cache_get(key)
            if hit is not None:
                try:  # (an entry from an older hookdebate, or damaged, is checked too)
                    if check is not None:
                        check(hit)
                    return hit
                except ScrapeError:
                    self._cache_drop(key)
        body = self._download(url, method)
        with body:
            data = body.read()
        if check is not None:
            check(data)
        if cache:
            self._cache_put(key, data)
        return data

    def _mbox(self, url: str, method: str = "GET") -> list[bytes]:
        """A gzip'd mbox (t.mbox.gz, a search result) → its messages' raw bytes; cached only
        once it inflated and split completely within the limits."""
        key = url if method == "GET" else f"{method} {url}"
        body = self._cache_open(key)
        if body is not None:
            try:
                with body:
                    return read_mbox_gz(body, url, self.limits.mbox_bytes)
            except ScrapeError:  # damaged, or over a limit lowered since: ask again
                self._cache_drop(key)
        body = self._download(url, method)
        with body:
            raws = read_mbox_gz(body, url, self.limits.mbox_bytes)
            body.seek(0)
            self._cache_put(key, body)
        return raws

    # -- threads ----------------------------------------------------------
    def thread_raws(self, ref: LoreRef) -> list[bytes]:
        """Every message of the thread as raw bytes: t.mbox.gz, checked against /T/.

        The thread's /T/ page is fetched alongside (check_thread_page, one request more,
        in parallel): a thread mbox that lacks messages the page lists is a warning, and
        those are fetched one by one. When t.mbox.gz is missing, cut short, corrupt, too
        big or lacks the message asked for, the thread is read from /raw: the message, the
        others /T/ lists, the ancestors its References name, at most walk_messages of
        them. What could not be read is a warning, never a silent partial thread.
        """
        url = ref.url("t.mbox.gz")
        page = None
        if self.limits.check_thread_page:
            self._session()  # (made here, not raced for by the two threads)
            page = _Background(self._thread_page, ref)
        raws: list[bytes] = []
        problem = None
        try:
            raws = self._mbox(url)
            if not raws:
                problem = "it holds no message"
        except NotFound:
            pass
        except ScrapeError as exc:
            if _gives_up(exc):
                raise
            problem = str(exc).removeprefix(f"{url}: ")
        ids = {_mid_of(r) for r in raws}
        listed = self._page_result(page, ref)
        if ref.message_id in ids:
            extra = [m for m in (listed or ()) if m not in ids]
            if not extra:
                return raws
            self.warn(f"{url}: holds {len(raws)} messages, but the thread page lists {len(extra)} more; "
                      "fetching those one by one")
            return self._recover(ref, raws, ids, None, listed)
        if raws:
            problem = f"it does not hold {ref.message_id}"
        return self._recover(ref, raws, ids, problem, listed)

    def _page_result(self, page, ref: LoreRef) -> list[str] | None:
        """The /T/ listing fetched in the background (None when not asked for)."""
        if page is None:
            return None
        try:
            return page.result()
        except ScrapeError as exc:  # (a GiveUp: the page stalled or was refused)
            self.warn(f"{ref.url('T/')}: {str(exc).removeprefix(ref.url('T/') + ': ')}; "
                      "the thread could not be checked against it")
            return []

    def _recover(self, ref: LoreRef, raws: list[bytes], have: set, problem: str | None,
                 listed: list[str] | None = None) -> list[bytes]:
        out = list(raws)
        if problem:
            self.warn(f"{ref.url('t.mbox.gz')}: {problem}; reading the thread message by message")
        fetched = 0
        parents: list[str] = []
        if ref.message_id not in have:
            root = self._raw(ref.base, ref.message_id, required=True)
            out.append(root)
            have.add(ref.message_id)
            fetched = 1
            parents = _parents(root, ref.message_id)
        if listed is None:
            listed = self._thread_page(ref)
        queue = deque(m for m in listed if m not in have)
        queue.extend(parents)
        cap = self.limits.walk_messages
        while queue:
            mid = queue.popleft()
            if mid in have:
                continue
            if fetched >= cap:
                self.warn(f"{ref.message_id}: stopped after fetching {fetched} messages one by one "
                          f"(limit walk_messages={cap}); the thread may be incomplete")
                break
            have.add(mid)
            fetched += 1
            raw = self._raw(ref.base, mid)
            if raw is None:
                continue
            out.append(raw)
            queue.extend(p for p in _parents(raw, mid) if p not in have)
        got = {_mid_of(r) for r in out}
        missing = [m for m in listed if m not in got]
        if missing:
            self.warn(f"{ref.message_id}: {len(missing)} of the {len(listed)} messages its thread page "
                      "lists could not be fetched; the thread is incomplete")
        elif not listed and not raws:
            self.warn(f"{ref.message_id}: no thread mbox or thread page at {ref.base}; only the message "
                      f"and the ancestors it names ({len(out)} messages), not its replies")
        return out

    def _raw(self, base: str, mid: str, required: bool = False) -> bytes | None:
        """/raw of one message, checked to be that message; None (with a warning) when
        it cannot be had, unless it is `required` (then an error)."""
        url = LoreRef(base, mid).url("raw")

        def check(data: bytes) -> None:
            if looks_like_html(data):
                raise ScrapeError(f"{url}: an HTML page, not a message (an error page?)")
            got = _mid_of(data)
            if got != mid:
                raise ScrapeError(f"{url}: answered with Message-ID <{got}>, not <{mid}>")

        try:
            return self.get(url, check=check)
        except NotFound:
            if required:
                raise ScrapeError(f"{mid}: no such message at {base}") from None
            return None
        except ScrapeError as exc:
            if required or _gives_up(exc):
                raise
            self.warn(f"{exc}; not stored")
            return None

    def _thread_page(self, ref: LoreRef) -> list[str]:
        """The Message-IDs public-inbox's /T/ page of the thread lists ([] without one)."""
        url = ref.url("T/")

        def check(data: bytes) -> None:
            if not looks_like_html(data):
                raise ScrapeError(f"{url}: not an HTML page")

        try:
            page = self.get(url, check=check)
        except ScrapeError as exc:
            if _gives_up(exc):
                raise
            return []
        mids, seen = [], set()
        for m in _RAW_HREF.finditer(page):
            mid = unquote(m.group(1).rsplit(b"/", 1)[-1].decode("utf-8", "replace"))
            if "@" in mid and mid not in seen:
                seen.add(mid)
                mids.append(mid)
        return mids

    def thread(self, ref: LoreRef) -> list[Message]:
        from scraper.mail import parse_message

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
            return self._mbox(f"{base}?q={query}&x=m", method="POST")
        except NotAvailable:
            raise ScrapeError(f"{base}: this public-inbox has no search index, so it cannot list "
                              f"messages by date; clone its git epochs (git clone --mirror {base}0) "
                              "and ingest the clone with --since") from None
        except NotFound:  # "No results found"
            return []


class _Background:
    """fn(*args) run in a thread now; .result() waits for it (re-raising what it raised)."""

    def __init__(self, fn, *args):
        import threading

        self._value = self._error = None

        def run():
            try:
                self._value = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to result()
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _give_up(text: str) -> ScrapeError:
    from scraper.web import GiveUp

    return GiveUp(text)


def _gives_up(exc: BaseException) -> bool:
    """A GiveUp (from scraper.web, only loaded once a request was made)."""
    web = sys.modules.get("scraper.web")
    return web is not None and isinstance(exc, web.GiveUp)


_RAW_HREF = re.compile(rb"""href=["']?([^"'\s>]*?)/raw["'\s>]""")


def _parents(raw: bytes, origin: str) -> list[str]:
    from scraper.mail import parse_message  # (the email package: only for this fallback)

    msg = parse_message(raw, origin=origin)
    return list(msg.references) + ([msg.in_reply_to] if msg.in_reply_to else [])


def read_mbox_gz(fh, name: str, max_bytes: int) -> list[bytes]:
    """A gzip'd mbox in an open binary file → its messages; inflated as it is split, so a
    gzip bomb stops at max_bytes (a ScrapeError) and never sits in memory whole."""
    head = fh.read(2048)
    fh.seek(0)
    if head[:2] != b"\x1f\x8b":
        what = "an HTML page (an error page?)" if looks_like_html(head) else "not gzip data"
        raise ScrapeError(f"{name}: {what}, not a gzip'd mbox")
    reader = _Capped(gzip.GzipFile(fileobj=fh, mode="rb"), name, max_bytes)
    try:
        return list(iter_raw_mbox_file(reader, name))
    except (OSError, EOFError, zlib.error):
        raise ScrapeError(f"{name}: truncated or corrupt gzip") from None


class _Capped:
    def __init__(self, fh, name: str, cap: int):
        self.fh, self.name, self.cap, self.total = fh, name, cap, 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(min(n, self.cap + 1 - self.total) if n >= 0 else self.cap + 1 - self.total)
        self.total += len(data)
        if self.total > self.cap:
            raise ScrapeError(f"{self.name}: inflates to more than {self.cap:,} bytes (limit mbox_bytes)")
        return data


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


def fetch_thread(source: str, path: str | Path, client: LoreClient, lore_url: str | None = None) -> int:
    """The whole thread of a Message-ID or lore URL written to an mboxrd file (like b4 mbox):
    the messages as the server gave them; returns how many."""
    return write_mboxrd(path, client.thread_raws(parse_lore_ref(source, lore_url)))
