"""LWN quote check: find each passage an article quotes in a thread's messages.

Exact match first (on whitespace-collapsed, quote-normalized text of each
message's own lines), then fuzzy (rapidfuzz partial_ratio). Reports the
message, its author, whether the article's attributed speaker is that author,
and the passages that match nothing. Works on the scraper's Article
(quotes_from_article: its quotes, the messages it links them to, speakers from its paragraphs)
or on a plain-text/Markdown rendering of one (lines starting with '>' are block quotes;
\u201c...\u201d / "..." runs of 4+ words are inline quotes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from mailrecords import ArticleQuote, Message

_QUOTE_CHARS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-", "\u2013": "-"})


def norm(text: str) -> str:
    t = text.translate(_QUOTE_CHARS)
    t = re.sub(r"[*_`]", "", t)
    return " ".join(t.split()).lower()


@dataclass(frozen=True)
class QuoteMatch:
    text: str
    kind: str
    speaker: str | None
    message_id: str | None
    author: str | None
    score: float  # 100 for exact
    method: str  # "exact" | "fuzzy" | "none"
    speaker_is_author: bool | None
    linked_message_id: str | None = None  # the message the article links the quote to (an Article's link)
    link_matches: bool | None = None  # the quote was found in the message the article links to

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _speaker(context: str, names) -> str | None:
    """The known name mentioned last in the text introducing a quote (full name or surname)."""
    best, pos = None, -1
    for n in names or ():
        parts = [n] + ([n.split()[-1]] if len(n.split()) > 1 else [])
        for part in parts:
            i = context.rfind(part)
            if i > pos:
                best, pos = n, i
    # someone the thread does not know, named later in the context ("co-maintainer Alexei Starovoitov")
    for m in re.finditer(r"\b([A-Z][a-z]+ [A-Z][a-z]+(?:[a-z]*))\b(?= (?:described|said|wrote|responded|argued|added|noted))", context):
        if m.start() > pos:
            best, pos = m.group(1), m.start()
    return best


def quotes_from_text(text: str, names=None, min_words: int = 3) -> list[ArticleQuote]:
    """Quotes of a text rendering of an article: '>' blocks and quoted runs.
    `names`: people who may be quoted (e.g. the thread's participants), for attribution."""
    out: list[ArticleQuote] = []
    block: list[str] = []
    before = ""  # article text before the current position
    for line in text.splitlines() + [""]:
        if line.startswith(">"):
            block.append(line.lstrip("> ").rstrip())
            continue
        if block:
            t = " ".join(x for x in block if x).strip()
            if len(t.split()) >= 5 and not t.startswith("**"):
                out.append(ArticleQuote(text=t, kind="block", message_id=None, speaker=_speaker(before[-700:], names)))
            block = []
        for mq in re.finditer(r'"{1,2}([^"]{10,}?)"{1,2}|\u201c([^\u201d]{10,}?)\u201d', line):
            t = (mq.group(1) or mq.group(2)).strip()
            if len(t.split()) >= min_words:
                ctx = before[-200:] + " " + line[:mq.start()]
                out.append(ArticleQuote(text=t, kind="inline", message_id=None, speaker=_speaker(ctx, names)))
        if line.strip():
            before += " " + line
    return out


def _link_paragraphs(article) -> list[int | None]:
    """For each of the article's links (in order), the index of the paragraph it sits in: links and
    paragraphs both come in document order, so each link is looked for from the previous link's
    paragraph on (None for a link outside the paragraphs, e.g. in a block quote or the byline)."""
    paras = [norm(p) for p in article.paragraphs]
    out: list[int | None] = []
    p = 0
    for link in article.links:
        t = norm(link.text)
        hit = next((i for i in range(p, len(paras)) if t and t in paras[i]), None)
        out.append(hit)
        if hit is not None:
            p = hit
    return out


def quotes_from_article(article, names=None) -> list[ArticleQuote]:
    """The scraper's Article (scraper.lwn.parse_article) -> its quotes, each with the speaker the
    article's own words attribute it to: for an inline quote, the known name mentioned last in its
    paragraph before the quote (or in the paragraph before); for a block quote, the same in the
    paragraph holding the link to the quoted message (the one LWN puts right before the quote)."""
    paras = list(article.paragraphs)
    where = _link_paragraphs(article)
    link_para: dict[str, int] = {}
    for link, i in zip(article.links, where):
        if link.message_id and i is not None:
            link_para[link.message_id] = i
    out: list[ArticleQuote] = []
    for q in article.quotes:
        ctx = ""
        if q.kind == "inline":
            nq = norm(q.text)
            for i, para in enumerate(paras):
                k = norm(para).find(nq)
                if k >= 0:
                    # cut the raw paragraph where the quote starts (same words, so count them)
                    words = len(norm(para)[:k].split())
                    ctx = (paras[i - 1] + " " if i else "") + " ".join(para.split()[:words])
                    break
        if not ctx and q.message_id in link_para:
            i = link_para[q.message_id]
            ctx = (paras[i - 1] + " " if i else "") + paras[i]
        speaker = q.speaker or (_speaker(ctx[-700:], names) if ctx else None)
        out.append(ArticleQuote(text=q.text, kind=q.kind, message_id=q.message_id, speaker=speaker))
    return out


def _own_text(m: Message) -> str:
    # the message's own lines (quoted '>' lines dropped; mbox '>From' escapes kept)
    keep = [ln[1:] if ln.startswith(">From ") else ln for ln in m.body.splitlines()
            if not ln.startswith(">") or ln.startswith(">From ")]
    return norm("\n".join(keep))


def check_quotes(quotes, messages, author_of=None, names=None, threshold: float = 88.0) -> list[QuoteMatch]:
    from rapidfuzz import fuzz

    texts = [(m, _own_text(m)) for m in messages]
    out = []
    for q in quotes:
        nq = norm(q.text).strip(" .,…")
        hit, score, method = None, 0.0, "none"
        for m, t in texts:
            if nq and nq in t:
                hit, score, method = m, 100.0, "exact"
                break
        if hit is None:
            for m, t in texts:
                s = fuzz.partial_ratio(nq, t) if len(nq) <= len(t) else 0.0
                if s > score:
                    hit, score = m, s
            method = "fuzzy" if score >= threshold else "none"
            if method == "none":
                hit = None
        author = None
        if hit is not None:
            pid = (author_of or {}).get(hit.message_id)
            author = (names or {}).get(pid) or hit.from_name or hit.from_address
        same = None
        if hit is not None and q.speaker:
            sp = q.speaker.lower().split()
            same = any(w in (author or "").lower() for w in sp) or sp[-1] in hit.from_address.lower()
        link_ok = None
        if q.message_id:
            link_ok = hit is not None and hit.message_id == q.message_id
        out.append(QuoteMatch(q.text, q.kind, q.speaker, hit.message_id if hit else None, author,
                              round(score, 1), method, same, q.message_id, link_ok))
    return out
