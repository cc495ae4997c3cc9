"""LWN article HTML → scraper.model.Article (tolerant of missing pieces and old layouts)."""
from __future__ import annotations

import re
import urllib.robotparser
from urllib.parse import unquote, urljoin, urlsplit

from scraper.errors import ScrapeError
from scraper.model import Article, ArticleLink, ArticleQuote

LWN_ARTICLE = re.compile(r"^https?://(?:www\.)?lwn\.net/(?:SubscriberLink|Articles)/\d+", re.I)


def is_lwn_url(text: str) -> bool:
    return bool(LWN_ARTICLE.match(text.strip()))


def looks_like_html(head: bytes) -> bool:
    h = head[:2048].lstrip().lower()
    return h.startswith(b"<!doctype html") or h.startswith(b"<html") or b"<head" in h or b"<body" in h


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


def parse_article(html: str | bytes, url: str = "") -> Article:
    from bs4 import BeautifulSoup, NavigableString  # (50 ms of imports only LWN pages need)

    soup = BeautifulSoup(html, "html.parser")
    page_text = soup.get_text(" ", strip=True)
    body = soup.select_one("div.ArticleText") or soup.select_one("td.MidColumn") or soup.body
    if "Subscription required" in page_text and (body is None or len(_text(body)) < 1500):
        raise ScrapeError(f"{url or 'article'}: LWN says 'Subscription required' (paywalled; "
                          "save the page while logged in and ingest the HTML file)")
    h1 = soup.select_one("div.PageHeadline h1")
    if h1:
        title = _text(h1)
    elif soup.title:
        title = _text(soup.title)
        title = re.sub(r"\s*\[LWN\.net\]\s*$", "", title)
    else:
        title = ""
    byline = date = None
    by = soup.select_one("div.FeatureByline, div.Byline, div.GAByline")
    if by:
        bytext = _text(by)
        b = by.find("b")
        byline = _text(b) if b else re.sub(r"^By\s+", "", bytext).split("  ")[0] or None
        m = re.search(r"([A-Z][a-z]+ \d{1,2}, \d{4})", bytext)
        date = m.group(1) if m else None
        if byline and date and date in byline:
            byline = byline.replace(date, "").strip() or None
    if body is None:
        raise ScrapeError(f"{url or 'article'}: no article text found (is this an LWN article page?)")
    paragraphs: list[str] = []
    subheads: list[str] = []
    quotes: list[ArticleQuote] = []
    links: list[ArticleLink] = []
    last_mid: list[str | None] = [None]
    base = url or "https://lwn.net/"

    for el in body.find_all(["p", "h2", "h3", "h4", "div", "a", "span"]):
        if el.name == "a" and el.get("href"):
            href = urljoin(base, el["href"])
            mid, lst = resolve_ml_link(href)
            links.append(ArticleLink(url=href, text=_text(el), message_id=mid, list_name=lst))
            if mid:
                last_mid[0] = mid
            continue
        if el.name in ("h2", "h3", "h4"):
            t = _text(el)
            if t:
                subheads.append(t)
            continue
        if el.name == "div" and "BigQuote" in (el.get("class") or []):
            t = _text(el)
            if t:
                quotes.append(ArticleQuote(text=t, kind="block", message_id=last_mid[0]))
            continue
        if el.name == "span":
            prev = el.previous_sibling
            nxt = el.next_sibling
            if (isinstance(prev, NavigableString) and prev.rstrip().endswith(("\"", "\u201c"))
                    and isinstance(nxt, NavigableString) and nxt.lstrip().startswith(("\"", "\u201d"))):
                t = _text(el)
                if t:
                    quotes.append(ArticleQuote(text=t, kind="inline", message_id=last_mid[0]))
            continue
        if el.name == "p" and not el.find_parent("div", class_="BigQuote"):
            t = _text(el)
            if t:
                paragraphs.append(t)
    return Article(url=url, title=title, byline=byline, date=date, paragraphs=tuple(paragraphs),
                   subheads=tuple(subheads), quotes=tuple(quotes), links=tuple(links))


def robots_allows(client, url: str) -> bool:
    """Check lwn.net's robots.txt through the client (cached); unreachable robots → allowed."""
    parts = urlsplit(url)
    robots = f"{parts.scheme}://{parts.netloc}/robots.txt"
    rp = urllib.robotparser.RobotFileParser()
    try:
        rp.parse(client.get(robots).decode("utf-8", "replace").splitlines())
    except ScrapeError:
        return True
    from scraper.lore import USER_AGENT

    return rp.can_fetch(USER_AGENT, url)


def fetch_article(client, url: str) -> Article:
    if not robots_allows(client, url):
        raise ScrapeError(f"{url}: robots.txt of {urlsplit(url).netloc} disallows fetching it")
    return parse_article(client.get(url), url=url)
