"""LWN article HTML → scraper.model.Article (tolerant of missing pieces and old layouts)."""
from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from scraper.errors import ScrapeError
from scraper.model import Article, ArticleLink, ArticleQuote
from scraper.sniff import looks_like_html  # noqa: F401 - also scraper.sources' import

LWN_ARTICLE = re.compile(r"^https?://(?:www\.)?lwn\.net/(?:SubscriberLink|Articles)/\d+", re.I)


def is_lwn_url(text: str) -> bool:
    return bool(LWN_ARTICLE.match(text.strip()))


def resolve_ml_link(href: str) -> tuple[str | None, str | None]:
    """A link → (message_id, list) when it points to one mailing-list message."""
    parts = urlsplit(href)
    host = parts.netloc.lower()
    segs = [unquote(s) for s in parts.path.split("/") if s]
    if host in ("", "lwn.net", "www.lwn.net") and len(segs) >= 3 and segs[0] == "ml":
        if "@" in segs[2]:
            return segs[2].strip("<>"), (None if segs[1] == "all" else segs[1])
        return None, None
    if host == "patch.msgid.link" or host.endswith("msgid.link"):
        return (segs[0].strip("<>"), None) if segs and "@" in segs[0] else (None, None)
    if host in ("lore.kernel.org", "lkml.kernel.org") or "public-inbox" in host:
        for i, seg in enumerate(segs):
            if "@" in seg:
                lst = segs[i - 1] if i > 0 else None
                return seg.strip("<>"), (None if lst in (None, "all", "r") else lst)
    return None, None


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


# An inline quote is a short phrase in quotation marks: a longer span is not one (and this
# bounds the text copied for spans nested in spans).
_INLINE_QUOTE_CHARS = 2000
# Block quotes inside block quotes are kept to this depth (deeper ones are in their parents').
_NESTED_QUOTES = 8


class _Slot:
    __slots__ = ("kind", "start", "end", "region", "data")

    def __init__(self, kind: str, start: int, region: int, data=None):
        self.kind, self.start, self.end, self.region, self.data = kind, start, None, region, data


class _Reader:
    """One walk over bs4's tree, in document order, with an explicit stack.

    Every text node is visited once and every collected element's text is a slice of
    them, so the work is linear in the page, however deep it nests. As an HTML5 parser
    would, an <a> ends an open <a>, a <p> an open <p> and a heading an open heading
    (bs4's html.parser tree nests them instead, which made each link's text hold every
    link after it: 20,000 nested <a> took 80 s).
    """

    # region bits: the first div.ArticleText, the first td.MidColumn, the first <body>
    ARTICLE, MID, BODY = 1, 2, 4

    def __init__(self, url: str):
        self.url = url
        self.chunks: list[str] = []
        self.cum = [0]
        self.slots: list[_Slot] = []
        self.region = 0
        self.seen_regions = 0
        self.region_ranges: dict[int, list[int]] = {}
        self.open_a = self.open_p = self.open_h = None
        self.bigquote_depth = 0
        self.headline_depth = 0
        self.byline_depth = 0
        self.title = self.h1 = self.byline = self.byline_b = None

    # -- text --------------------------------------------------------------------------
    def text_of(self, start: int, end: int) -> str:
        return " ".join(self.chunks[start:end])

    def length(self, start: int, end: int) -> int:
        return self.cum[end] - self.cum[start] + max(0, end - start - 1)

    def _close(self, slot):
        if slot is not None and slot.end is None:
            slot.end = len(self.chunks)

    # -- walk --------------------------------------------------------------------------
    def read(self, soup):
        from bs4 import CData, NavigableString, Tag

        text_types = (NavigableString, CData)
        stack = [(soup, iter(soup.contents), None)]
        while stack:
            node, children, undo = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if undo is not None:
                    undo()
                continue
            if isinstance(child, Tag):
                stack.append((child, iter(child.contents), self.enter(child)))
            elif type(child) in text_types:
                words = child.split()
                if words:
                    chunk = " ".join(words)
                    self.chunks.append(chunk)
                    self.cum.append(self.cum[-1] + len(chunk))

    def enter(self, el):
        """Note what el opens; → what to do when it closes (or None)."""
        name = el.name
        classes = el.get("class") or []
        if isinstance(classes, str):
            classes = classes.split()
        at = len(self.chunks)
        undo = []
        for bit, match in ((self.ARTICLE, name == "div" and "ArticleText" in classes),
                           (self.MID, name == "td" and "MidColumn" in classes),
                           (self.BODY, name == "body")):
            if match and not self.seen_regions & bit:
                self.seen_regions |= bit
                rng = self.region_ranges[bit] = [at, None]
                undo.append(self._leave_region(bit, rng))
        slot = None
        if name == "a" and el.get("href"):
            self._close(self.open_a)
            href = urljoin(self.url or "https://lwn.net/", el["href"])
            slot = self.open_a = self._slot("link", at, href)
        elif name in ("h2", "h3", "h4"):
            self._close(self.open_h)
            slot = self.open_h = self._slot("subhead", at)
        elif name == "div" and "BigQuote" in classes:
            if self.bigquote_depth < _NESTED_QUOTES:
                slot = self._slot("block", at)
            self.bigquote_depth += 1
            undo.append(self._dec("bigquote_depth"))
        elif name == "span":
            prev, nxt = el.previous_sibling, el.next_sibling
            from bs4 import NavigableString

            if (isinstance(prev, NavigableString) and prev.rstrip().endswith(("\"", "\u201c"))
                    and isinstance(nxt, NavigableString) and nxt.lstrip().startswith(("\"", "\u201d"))):
                slot = self._slot("inline", at)
        elif name == "p":
            self._close(self.open_p)
            if not self.bigquote_depth:
                slot = self.open_p = self._slot("para", at)
        if name == "div" and "PageHeadline" in classes:
            self.headline_depth += 1
            undo.append(self._dec("headline_depth"))
        elif name == "h1" and self.headline_depth and self.h1 is None:
            slot_h1 = self.h1 = _Slot("h1", at, 0)
            undo.append(lambda s=slot_h1: self._close(s))
        elif name == "title" and self.title is None:
            slot_t = self.title = _Slot("title", at, 0)
            undo.append(lambda s=slot_t: self._close(s))
        elif (name == "div" and self.byline is None
              and any(c in ("FeatureByline", "Byline", "GAByline") for c in classes)):
            slot_b = self.byline = _Slot("byline", at, 0)
            self.byline_depth += 1

            def leave_byline(s=slot_b):
                self._close(s)
                self.byline_depth -= 1
            undo.append(leave_byline)
        elif name == "b" and self.byline_depth and self.byline_b is None:
            slot_bb = self.byline_b = _Slot("b", at, 0)
            undo.append(lambda s=slot_bb: self._close(s))
        if slot is not None:
            undo.append(lambda s=slot: self._close(s))
        if not undo:
            return None
        if len(undo) == 1:
            return undo[0]

        def run_all():
            for f in reversed(undo):
                f()
        return run_all

    def _slot(self, kind: str, at: int, data=None) -> _Slot:
        slot = _Slot(kind, at, self.region, data)
        self.slots.append(slot)
        return slot

    def _leave_region(self, bit: int, rng: list):
        self.region |= bit

        def leave():
            self.region &= ~bit
            rng[1] = len(self.chunks)
        return leave

    def _dec(self, attr: str):
        def dec():
            setattr(self, attr, getattr(self, attr) - 1)
        return dec

    # -- result ------------------------------------------------------------------------
    def article(self) -> Article:
        url = self.url
        end = len(self.chunks)
        for slot in (*self.slots, self.title, self.h1, self.byline, self.byline_b):
            if slot is not None and slot.end is None:
                slot.end = end
        for rng in self.region_ranges.values():
            if rng[1] is None:
                rng[1] = end
        bit = next((b for b in (self.ARTICLE, self.MID, self.BODY) if self.seen_regions & b), None)
        body_len = self.length(*self.region_ranges[bit]) if bit else 0
        if "Subscription required" in " ".join(self.chunks) and (bit is None or body_len < 1500):
            raise ScrapeError(f"{url or 'article'}: LWN says 'Subscription required' (paywalled; "
                              "save the page while logged in and ingest the HTML file)")
        if self.h1 is not None:
            title = self.text_of(self.h1.start, self.h1.end)
        elif self.title is not None:
            title = re.sub(r"\s*\[LWN\.net\]\s*$", "", self.text_of(self.title.start, self.title.end))
        else:
            title = ""
        byline = date = None
        if self.byline is not None:
            bytext = self.text_of(self.byline.start, self.byline.end)
            b = self.byline_b
            byline = (self.text_of(b.start, b.end) if b is not None
                      else re.sub(r"^By\s+", "", bytext).split("  ")[0] or None)
            m = re.search(r"([A-Z][a-z]+ \d{1,2}, \d{4})", bytext)
            date = m.group(1) if m else None
            if byline and date and date in byline:
                byline = byline.replace(date, "").strip() or None
        if bit is None:
            raise ScrapeError(f"{url or 'article'}: no article text found (is this an LWN article page?)")
        paragraphs: list[str] = []
        subheads: list[str] = []
        quotes: list[ArticleQuote] = []
        links: list[ArticleLink] = []
        last_mid = None
        for slot in self.slots:
            if not slot.region & bit:
                continue
            if slot.kind == "inline" and self.length(slot.start, slot.end) > _INLINE_QUOTE_CHARS:
                continue
            t = self.text_of(slot.start, slot.end)
            if slot.kind == "link":
                mid, lst = resolve_ml_link(slot.data)
                links.append(ArticleLink(url=slot.data, text=t, message_id=mid, list_name=lst))
                if mid:
                    last_mid = mid
            elif not t:
                continue
            elif slot.kind == "subhead":
                subheads.append(t)
            elif slot.kind in ("block", "inline"):
                quotes.append(ArticleQuote(text=t, kind=slot.kind, message_id=last_mid))
            else:
                paragraphs.append(t)
        return Article(url=url, title=title, byline=byline, date=date, paragraphs=tuple(paragraphs),
                       subheads=tuple(subheads), quotes=tuple(quotes), links=tuple(links))


def parse_article(html: str | bytes, url: str = "", max_bytes: int | None = None) -> Article:
    """An LWN page → Article; linear in the page (see _Reader); a page over max_bytes
    (default: the page_bytes limit) is an error before any parsing."""
    from bs4 import BeautifulSoup  # (50 ms of imports only LWN pages need)

    if max_bytes is None:
        from scraper.limits import Limits

        max_bytes = Limits.page_bytes
    if len(html) > max_bytes:
        raise ScrapeError(f"{url or 'article'}: the page is {len(html):,} bytes, more than {max_bytes:,} "
                          "(limit page_bytes); not an LWN article?")

    reader = _Reader(url)
    reader.read(BeautifulSoup(html, "html.parser"))
    return reader.article()


def robots_allows(client, url: str) -> bool:
    """Check lwn.net's robots.txt through the client (cached); unreachable robots → allowed.

    An HTML page where robots.txt should be (an error page served with 200) counts as
    unreachable, and is not cached."""
    parts = urlsplit(url)
    robots = f"{parts.scheme}://{parts.netloc}/robots.txt"

    def check(data: bytes) -> None:
        if looks_like_html(data):
            raise ScrapeError(f"{robots}: an HTML page, not robots.txt")

    import urllib.robotparser  # (imports urllib.request: ~40 ms, for fetched articles only)

    rp = urllib.robotparser.RobotFileParser()
    try:
        rp.parse(client.get(robots, check=check).decode("utf-8", "replace").splitlines())
    except ScrapeError as exc:
        if _gives_up(exc):
            raise
        return True
    from scraper.lore import USER_AGENT

    return rp.can_fetch(USER_AGENT, url)


def _gives_up(exc) -> bool:
    from scraper.lore import _gives_up as gives_up

    return gives_up(exc)


def fetch_article(client, url: str) -> Article:
    """Fetch and parse an article; a page that is not one (a paywall, an error page) is an
    error and is never cached."""
    if not robots_allows(client, url):
        raise ScrapeError(f"{url}: robots.txt of {urlsplit(url).netloc} disallows fetching it")
    parsed: list[Article] = []

    limits = getattr(client, "limits", None)
    cap = limits.page_bytes if limits is not None else None

    def check(data: bytes) -> None:
        parsed.append(parse_article(data, url=url, max_bytes=cap))

    data = client.get(url, check=check)
    return parsed[0] if parsed else parse_article(data, url=url, max_bytes=cap)


def linked_message_ids(article: Article, limit: int, warn=None) -> tuple[str, ...]:
    """The first `limit` distinct Message-IDs an article links to (a warning names how
    many more it links: an article with thousands of lore links must not fire thousands
    of thread fetches)."""
    mids = article.message_ids
    if len(mids) > limit:
        if warn is not None:
            warn(f"{article.url or 'article'}: links {len(mids)} mailing-list messages; following the "
                 f"first {limit} (limit article_links)")
        mids = mids[:limit]
    return mids
