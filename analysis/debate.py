"""One debate across threads and series versions.

A kernel debate is rarely one thread: a series is posted again and again (v1, v2, a RESEND,
sometimes under another name or by another author), then carried by a pull request, fixed,
or reverted. gather() finds, from any Message-ID, the postings that are versions of the same
series and the threads that follow up on it, each with how it was linked, the evidence and a
confidence; the rest of this module reads what the versions say (patches, people, trailers,
the objections raised and whether they were addressed) and what came of it (outcome).

Units. A thread is cut into *postings*: a patch posting's cover letter (or a lone patch, or a
pull request) with its parts and the replies under them. A new version sent as a reply to the
previous one (git send-email --in-reply-to) starts its own posting, as b4 sees it.

Version links (a union: they make one series), in the order of b4's rules and beyond:
  change-id    the same 'change-id:' trailer (b4 prep)
  subject      same subject without tags and version, same author, within WINDOW_DAYS
  resend       the same, same version ("RESEND": the same version again)
  changelog    the cover letter links an earlier posting on lore, labelled as a version
               ("v3: https://lore.kernel.org/r/...", "Previous version: ...")
  was          the subject says "(was OLD NAME)" and an earlier posting by the author has it
  patch titles the same author posts patches with the same titles under a later version
  handover     the same subject under another author, continuing the version numbers
  similar      a vN (N>1) with no earlier version found: the author's latest earlier posting
               with a similar subject and a lower version (a rename the cover does not say)
Follow-up links (a thread attached to the series, never a union of two series):
  pull request a [GIT PULL] whose body lists the series' patch titles
  fix          a patch whose 'Fixes: sha ("title")' names a patch of the series
  revert       a patch 'Revert "title"' of a patch of the series
  links        a posting that links a message of the series on lore
Overrides (a TOML file, like the identity overrides) add or cut links by Message-ID.

Pure Python, no spaCy (the stance per version uses analysis.analyze, passed in by the caller).
Nothing here names a thread's people or Message-IDs; cue words are data
(data/debates/cues.toml).
"""
from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from analysis.errors import AnalysisError
from analysis.subjects import (REPLY_PREFIX, is_patch_posting, part_number, series_version,
                               without_prefixes_and_tags)
from mailrecords import Message

WINDOW_DAYS = 365  # b4: same subject and author within a year
LONG_WINDOW_DAYS = 4 * 365  # explicit evidence (a "(was ...)" subject, a similar vN) reaches further
MIN_CONFIDENCE = 0.5  # links below this are listed as "related", not part of the debate

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PULL = re.compile(r"^\s*(\[[^\]]*\]\s*)*\[\s*GIT\s+PULL\b|^\s*(\[[^\]]*\]\s*)*\[?pull request\b|\bpull request\b.*\bfor\b",
                   re.I)
_RESEND = re.compile(r"^\s*(\[[^\]]*\]\s*)*\[[^\]]*\bRESEND\b", re.I)
_CHANGE_ID = re.compile(r"^change-id:\s*(\S+)\s*$", re.I | re.M)
_FIXES = re.compile(r'^\s*Fixes:\s*[0-9a-f]{7,40}\s*\(\s*"(.+?)"\s*\)', re.I | re.M)
_REVERT = re.compile(r'^\s*Revert\s+"(.+)"\s*$', re.I)
_WAS = re.compile(r"\((?:was|formerly|previously)[:\s]+([^)]+)\)", re.I)
_LORE = re.compile(
    r"https?://(?:lore\.kernel\.org|lkml\.kernel\.org|patch\.msgid\.link|marc\.info/\?i=)"
    r"/?(?:[\w.+-]+/)?(?:r/)?<?([^/\s<>\"')\]]+(?:@|%40)[^/\s<>\"')\]]+)", re.I)
_VERSION_LABEL = re.compile(r"\b[vV](\d{1,3})\b|\bversion\s+(\d{1,3})\b|\bprevious\b|\bearlier\b|\bold\b", re.I)
_PREVIOUS_HEADER = re.compile(r"^\s*(previous|earlier|older|prior)\s+(versions?|postings?|series|revisions?|submissions?)\b"
                              r"|^\s*(links? to|history)\b|^\s*v\d+\s*:?\s*$", re.I)
_BATCH = re.compile(r"^(.*?\d)-(\d+)-(\D.*)$")  # git send-email: <date.pid-N-addr>, <epoch-pid-N-git-send-email-addr>
_WORD = re.compile(r"[a-z0-9_]+")


def _utc(d: datetime | None) -> datetime:
    if d is None:
        return _EPOCH
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def norm_title(subject: str | None) -> str:
    """'[PATCH v5 3/8] LSM: Add x.' -> 'lsm: add x' (b4's subject key)."""
    t = without_prefixes_and_tags(subject or "")
    return " ".join(t.split()).lower().rstrip(".").strip()


def _words(title: str) -> set[str]:
    return set(_WORD.findall(title.lower()))


def _jaccard(a: str, b: str) -> float:
    x, y = _words(a), _words(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _days(a: datetime, b: datetime) -> float:
    return abs((a - b).total_seconds()) / 86400


def _msgid_from_url(raw: str) -> str:
    return urllib.parse.unquote(raw).strip("<>").rstrip(".,;:")


# -- cues (data) --------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _cues(path: str | None = None) -> dict:
    from analysis.lexicon import data_dir, read_toml

    p = Path(path) if path else data_dir() / "debates" / "cues.toml"
    data = read_toml(p, f"cannot read debate cues {p}")
    out = {}
    for key, value in data.items():
        if isinstance(value, list):
            out[key] = re.compile("|".join(f"(?:{v})" for v in value), re.I) if value else None
        else:
            out[key] = value
    return out


# -- postings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    how: str
    evidence: str
    confidence: float
    to: str | None = None  # the posting it links to
    kind: str = "version"  # version | pull-request | fix | revert | follow-up | override | asked


@dataclass
class Posting:
    """One posting: a version of a series (cover letter or lone patch), a pull request, or
    another thread's start; with the messages under it."""

    root: str
    subject: str
    title: str
    author: str  # address, lower-cased
    author_name: str
    date: datetime
    version: int
    resend: bool
    kind: str  # series | pull-request | thread
    message_ids: list[str] = field(default_factory=list)
    parts: dict[int, str] = field(default_factory=dict)  # part number -> title
    part_ids: dict[int, str] = field(default_factory=dict)  # part number -> Message-ID

    @property
    def patch_titles(self) -> set[str]:
        titles = {t for n, t in self.parts.items() if n >= 1}
        if not titles and self.kind == "series":
            titles = {self.title}
        return titles


class Head(NamedTuple):
    """What a debate needs of a message's headers (small, so the postings index loads fast)."""

    subject: str
    from_name: str
    from_address: str
    ts: float  # UTC seconds; 0 when the Date did not parse

    @property
    def date(self) -> datetime:
        try:
            return datetime.fromtimestamp(self.ts, timezone.utc)
        except (ValueError, OverflowError, OSError):  # before year 1 or past 9999 in UTC
            return (datetime.max if self.ts > 0 else datetime.min).replace(tzinfo=timezone.utc)


_RFC_TAG = re.compile(r"^\s*\[[^\]]*\bRFC\b", re.I)
# a stable backport: '[PATCH 4.4 1/2]', '[PATCH 5.10.y]', '[PATCH stable]', '[PATCH AUTOSEL 6.1 ...]'
_BACKPORT = re.compile(r"^\s*\[[^\]]*(\b\d+\.\d+(\.\d+|\.y)?\b|\bstable\b|\bAUTOSEL\b)[^\]]*\]", re.I)
_PART_LATE = re.compile(r"^\s*\[[^\]]*?\b0*(\d+)/\d+\b[^\]]*\]")  # '[PATCH 0/2 v2]': the part before the version


def _part(subject: str) -> int | None:
    n = part_number(subject)
    if n is None:
        m = _PART_LATE.match(subject or "")
        n = int(m.group(1)) if m else None
    return n


def _is_posting_subject(subject: str) -> bool:
    """A patch posting ('[PATCH ...]', or '[RFC 03/11]' / '[RFC v2]': an RFC tag with a part
    number or a version, as many series are sent), or a pull request."""
    s = subject or ""
    if REPLY_PREFIX.match(s):
        return False
    return (is_patch_posting(s) or bool(_PULL.search(s))
            or bool(_RFC_TAG.match(s)) and (_part(s) is not None or series_version(s) is not None))


def _batch(mid: str) -> tuple[str, str] | None:
    m = _BATCH.match(mid)
    return (m.group(1), m.group(3)) if m else None


class Postings:
    """The postings of a set of message headers (bodies are not needed to build them)."""

    def __init__(self, headers: Iterable[Message]):
        from analysis.threading import parents

        msgs = sorted({m.message_id: m for m in headers}.values(), key=lambda m: (_utc(m.date), m.message_id))
        # plain tuples (a Head each on access): the index is kept in the store as JSON
        # (analysis.output.postings_to_json, a list per message), small and quick to rebuild
        self._heads = {m.message_id: (m.subject or "", m.from_name or "", m.from_address or "", _utc(m.date).timestamp())
                       for m in msgs}
        self.end = max((_utc(m.date) for m in msgs), default=_EPOCH)
        parent_of = parents(msgs)
        self.parent_of = parent_of
        self.unit_of: dict[str, str] = {}
        self.postings: dict[str, Posting] = {}
        covers_by_batch: dict[tuple[str, str], str] = {}
        recent_cover: dict[tuple[str, int], str] = {}
        children: dict[str, list[str]] = defaultdict(list)
        for m in msgs:
            p = parent_of.get(m.message_id)
            if p:
                children[p].append(m.message_id)
        order: list[str] = []
        stack = [m.message_id for m in reversed(msgs) if not parent_of.get(m.message_id)]
        while stack:  # depth-first from each root, so a parent comes before its children
            mid = stack.pop()
            order.append(mid)
            stack.extend(reversed(children.get(mid, ())))
        full = {m.message_id: m for m in msgs}
        for mid in order:
            m = full[mid]
            parent = parent_of.get(mid)
            posting_subject = _is_posting_subject(m.subject)
            part = _part(m.subject) if posting_subject else None
            version = (series_version(m.subject) or 1) if posting_subject else None
            unit = None
            if parent is not None:
                punit = self.postings[self.unit_of[parent]]
                same = (not posting_subject or punit.kind == "thread"
                        or (punit.version == version and punit.author == m.from_address and part not in (None, 0)))
                if posting_subject and part not in (None, 0) and not same:
                    # a part of a new version sent in reply to the previous version's cover
                    b = _batch(mid)
                    unit = covers_by_batch.get(b) if b else None
                    if unit is None:
                        c = recent_cover.get((m.from_address, version))
                        if c and _days(self.postings[c].date, _utc(m.date)) < 1 / 24:
                            unit = c
                elif same or (posting_subject and part in (None, 0) and punit.kind != "thread"
                              and punit.version == version and norm_title(m.subject) == punit.title
                              and not _RESEND.search(m.subject)):
                    unit = punit.root
                if unit is None and not posting_subject:
                    unit = punit.root
            if unit is None:
                kind = "thread"
                if posting_subject:
                    kind = "pull-request" if _PULL.search(m.subject) else "series"
                unit = mid
                self.postings[mid] = Posting(
                    root=mid, subject=m.subject, title=norm_title(m.subject), author=m.from_address,
                    author_name=m.from_name, date=_utc(m.date), version=version or 1,
                    resend=bool(_RESEND.search(m.subject)), kind=kind)
                if kind == "series":
                    b = _batch(mid)
                    if b and part in (None, 0, 1):
                        covers_by_batch.setdefault(b, mid)
                    recent_cover[(m.from_address, version or 1)] = mid
            self.unit_of[mid] = unit
            post = self.postings[unit]
            post.message_ids.append(mid)
            if posting_subject and part is not None and m.from_address == post.author:
                post.parts.setdefault(part, norm_title(m.subject))
                post.part_ids.setdefault(part, mid)
            elif posting_subject and part is None and unit == mid:
                post.parts.setdefault(1, post.title)
                post.part_ids.setdefault(1, mid)
        self.by_author: dict[str, list[Posting]] = defaultdict(list)
        self.by_title: dict[str, list[Posting]] = defaultdict(list)
        self.by_patch_title: dict[str, list[Posting]] = defaultdict(list)
        for post in sorted(self.postings.values(), key=lambda p: (p.date, p.root)):
            if post.kind != "series":
                continue
            self.by_author[post.author].append(post)
            self.by_title[post.title].append(post)
            for t in post.patch_titles:
                if len(t.split()) >= 3:
                    self.by_patch_title[t].append(post)

    def head(self, message_id: str) -> Head:
        return Head(*self._heads[message_id])

    def posting_of(self, message_id: str) -> Posting | None:
        unit = self.unit_of.get(message_id)
        return self.postings.get(unit) if unit else None


# -- the corpus a debate is gathered from --------------------------------------------------
class Corpus:
    """Messages to gather debates from: headers for all, bodies on demand.

    This one holds Message objects in memory; hookdebate's store provides the same three
    methods over SQLite (headers without bodies, bodies by id, full-text candidates)."""

    def __init__(self, messages: Iterable[Message]):
        self._messages = {m.message_id: m for m in messages}

    def headers(self) -> list[Message]:
        return list(self._messages.values())

    def bodies(self, ids: Iterable[str]) -> dict[str, str]:
        return {i: self._messages[i].body for i in ids if i in self._messages}

    def containing(self, phrases: Iterable[str]) -> set[str]:
        """Message-IDs whose subject or body contains one of the phrases (case-insensitive), as the
        store's full-text index finds them; a superset is fine."""
        ps = [p.lower() for p in phrases if p]
        if not ps:
            return set()
        if not hasattr(self, "_lower"):
            self._lower = {mid: (m.subject + "\n" + m.body).lower() for mid, m in self._messages.items()}
        return {mid for mid, text in self._lower.items() if any(p in text for p in ps)}


# -- overrides ------------------------------------------------------------------------------
def load_overrides(path: str | Path | None) -> dict:
    """{'link': [(a, b, kind)], 'cut': {ids}} from a debates TOML file (see data/debates/example.toml)."""
    if not path:
        return {"link": [], "cut": set()}
    from analysis.lexicon import read_toml
    from mailrecords import bare_msgid

    data = read_toml(path, f"{path}: cannot read debate overrides")
    unknown = set(data) - {"link", "cut"}
    if unknown:
        raise AnalysisError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected [[link]] or [[cut]])")
    links, cut = [], set()
    for i, entry in enumerate(data.get("link", [])):
        if not isinstance(entry, dict) or set(entry) - {"threads", "kind", "note"} or "threads" not in entry:
            raise AnalysisError(f"{path}: [[link]] #{i + 1} needs 'threads' (and optional 'kind', 'note') only")
        ids = [bare_msgid(t) for t in entry["threads"]]
        kind = entry.get("kind", "version")
        if kind not in ("version", "follow-up"):
            raise AnalysisError(f"{path}: [[link]] #{i + 1}: kind must be 'version' or 'follow-up'")
        if len(ids) < 2 or not all(ids):
            raise AnalysisError(f"{path}: [[link]] #{i + 1} needs two or more Message-IDs")
        for other in ids[1:]:
            links.append((ids[0], other, kind, entry.get("note", "")))
    for i, entry in enumerate(data.get("cut", [])):
        if not isinstance(entry, dict) or set(entry) - {"threads", "note"} or "threads" not in entry:
            raise AnalysisError(f"{path}: [[cut]] #{i + 1} needs 'threads' (and optional 'note') only")
        cut.update(bare_msgid(t) for t in entry["threads"])
    return {"link": links, "cut": cut}


# -- gathering ------------------------------------------------------------------------------
@dataclass
class Debate:
    query: str
    series: list[Posting]  # versions, by date
    followups: list[Posting]
    links: dict[str, Link]  # posting root -> the link that brought it in
    related: list[tuple[Posting, Link]]  # below MIN_CONFIDENCE
    postings: Postings
    bodies: dict[str, str]

    @property
    def threads(self) -> list[Posting]:
        return sorted(self.series + self.followups, key=lambda p: (p.date, p.root))

    def messages_of(self, post: Posting) -> list[str]:
        return post.message_ids


def _numbering_continues(earlier: Posting, later: Posting, P: Postings) -> bool:
    """Does `later`'s version number continue `earlier`'s series? Not when the series under
    earlier's name had already reached later's number before later was posted (a new series
    numbered anew, e.g. 'Reintroduce X' v2 after 'Introducing X' v3)."""
    reached = max((p.version for p in P.by_title.get(earlier.title, ()) if p.author == earlier.author
                   and p.date < later.date and p.root != later.root), default=earlier.version)
    return later.version > reached or (later.version == earlier.version and _days(later.date, earlier.date) <= 2)


def _version_candidates(post: Posting, P: Postings) -> list[tuple[Posting, Link]]:
    """Links from a series posting to other postings that are versions of it, found without
    reading bodies (subject, author, dates, patch titles)."""
    out: list[tuple[Posting, Link]] = []
    for other in P.by_title.get(post.title, ()):
        if other is post:
            continue
        days = _days(other.date, post.date)
        if other.author == post.author and days <= WINDOW_DAYS:
            if other.version == post.version and (other.resend or post.resend):
                out.append((other, Link("resend", f"same subject and author, same version v{post.version}, one marked RESEND", 0.95, other.root)))
            else:
                out.append((other, Link("subject", f"same subject '{post.title}' and author, {days:.0f} days apart", 0.9, other.root)))
        elif other.author != post.author and days <= 2 * WINDOW_DAYS:
            later, earlier = (post, other) if post.date > other.date else (other, post)
            if later.version > earlier.version and len(post.title.split()) >= 3:
                out.append((other, Link("handover", f"same subject '{post.title}' under another author, "
                                        f"v{earlier.version} -> v{later.version}", 0.75, other.root)))
    for t in post.patch_titles:
        for other in P.by_patch_title.get(t, ()):
            if other is post or other.author != post.author:
                continue
            days = _days(other.date, post.date)
            if days > WINDOW_DAYS:
                continue
            later, earlier = (post, other) if post.date > other.date else (other, post)
            shared = post.patch_titles & other.patch_titles
            small = min(len(post.patch_titles), len(other.patch_titles))
            if not (len(shared) >= 2 or len(shared) >= 0.5 * small):
                continue
            if len(shared) < 2 and not (later.version == earlier.version and days <= 2):
                continue  # one shared title: a part sent again, not a later patch of the same name
            if (later.version > earlier.version or (later.version == earlier.version and days <= 2)) \
                    and _numbering_continues(earlier, later, P):
                ex = sorted(shared)[0]
                out.append((other, Link("patch titles", f"{len(shared)} of {small} patch titles identical, e.g. '{ex}'",
                                        0.8 if len(shared) >= 2 else 0.7, other.root)))
    # a new version of a part sent into the thread of the version before ('[PATCH 1/2 v2]' in
    # reply to v1's 1/2), and the postings sent so into this one
    around = []
    parent = P.parent_of.get(post.root)
    if parent and P.posting_of(parent) is not None:
        around.append((P.posting_of(parent), post))
    for mid in post.message_ids:
        for child in _children(P, mid):
            if child in P.postings and child != post.root:
                around.append((post, P.postings[child]))
    for earlier, later in around:
        if earlier.kind != "series" or later.kind != "series" or earlier.author != later.author or earlier is later:
            continue
        shared = earlier.patch_titles & later.patch_titles
        if shared and later.version > earlier.version:
            other = earlier if later is post else later
            out.append((other, Link("in thread", f"v{later.version} of '{sorted(shared)[0]}' sent in reply to "
                                                 f"v{earlier.version}'s thread", 0.9, other.root)))
    was = _WAS.search(post.subject)
    if was:
        old = _words(was.group(1))
        for other in P.by_author.get(post.author, ()):
            if other.date < post.date and old and old <= _words(other.title) and other.title != post.title \
                    and _days(other.date, post.date) <= LONG_WINDOW_DAYS:
                out.append((other, Link("was", f"subject says '({was.group(0)[1:-1]})'; earlier subject '{other.title}'", 0.85, other.root)))
    return out


def _similar_predecessor(post: Posting, P: Postings, members: set[str]) -> tuple[Posting, Link] | None:
    """A vN (N>1) none of whose earlier versions is known: the author's latest earlier posting
    with a similar subject and a lower version."""
    if post.version < 2:
        return None
    best = None
    for other in P.by_author.get(post.author, ()):
        if other.date >= post.date or other.version >= post.version or _days(other.date, post.date) > LONG_WINDOW_DAYS:
            continue
        sim = _jaccard(other.title, post.title)
        # or, within b4's window, a patch title of three or more words in common
        shared = sorted(t for t in other.patch_titles & post.patch_titles if len(t.split()) >= 3)
        if (sim >= 0.5 or shared and _days(other.date, post.date) <= WINDOW_DAYS) \
                and (best is None or other.date > best[0].date) and _numbering_continues(other, post, P):
            best = (other, sim, shared)
    if best is None:
        return None
    other, sim, shared = best
    if sim >= 0.5:
        return other, Link("similar", f"v{post.version} follows v{other.version} '{other.title}' "
                                      f"(subject {sim:.0%} the same words, same author)", 0.7 if sim >= 0.6 else 0.6, other.root)
    return other, Link("similar", f"v{post.version} follows v{other.version} '{other.title}' (the patch "
                                  f"'{shared[0]}' in both, same author, no other earlier version)", 0.6, other.root)


def _version_links_from_cover(post: Posting, P: Postings, body: Callable[[str], str]) -> list[tuple[Posting, Link]]:
    """Earlier versions a cover letter links on lore ("v3: https://lore.kernel.org/r/...")."""
    out = []
    for mid, line, labelled in _lore_links(body(post.root)):
        other = P.posting_of(mid)
        if other is None or other is post or other.kind != "series" or other.date >= post.date:
            continue
        close = _jaccard(other.title, post.title) >= 0.5 or bool(other.patch_titles & post.patch_titles)
        if labelled and (other.author == post.author or close):
            out.append((other, Link("changelog", f"v{post.version}'s cover letter links v{other.version}: '{line[:120]}'", 0.95, other.root)))
        elif other.author == post.author and close:
            out.append((other, Link("changelog", f"v{post.version}'s cover letter links the author's earlier v{other.version}: '{line[:120]}'", 0.85, other.root)))
    return out


def _lore_links(body: str) -> list[tuple[str, str, bool]]:
    """(Message-ID, the line, labelled as a version) for each lore link of a cover letter."""
    out = []
    in_previous = False
    for line in body.splitlines():
        if line.startswith(">"):
            continue
        if _PREVIOUS_HEADER.search(line):
            in_previous = True
        elif not line.strip():
            in_previous = in_previous and False
        for m in _LORE.finditer(line):
            before = line[:m.start()]
            labelled = in_previous or bool(_VERSION_LABEL.search(before))
            out.append((_msgid_from_url(m.group(1)), line.strip(), labelled))
    return out


def gather(query: str, corpus: Corpus, *, overrides: dict | None = None, postings: Postings | None = None,
           min_confidence: float = MIN_CONFIDENCE, _taken_up: bool = False) -> Debate:
    """The debate the message `query` belongs to: the series versions and follow-ups. A series
    that takes up an earlier one under a new name and numbering opens the earlier one (of which
    it is then a follow-up), as a pull request or a fix does."""
    from mailrecords import bare_msgid

    qid = bare_msgid(query) or query
    P = postings or Postings(corpus.headers())
    start = P.posting_of(qid)
    if start is None:
        raise AnalysisError(f"no stored message has Message-ID <{qid}>")
    ov = overrides or {"link": [], "cut": set()}
    cut = {P.unit_of.get(c, c) for c in ov["cut"]}
    bodies: dict[str, str] = {}

    def body(mid: str) -> str:
        if mid not in bodies:
            bodies.update(corpus.bodies([mid]))
        return bodies.get(mid, "")

    # A thread that is a follow-up (a pull request, a fix) opens the series it follows up.
    links: dict[str, Link] = {start.root: Link("asked", f"contains <{qid}>", 1.0, None, "asked")}
    members: dict[str, Posting] = {start.root: start}
    queue = [start] if start.kind == "series" else []
    override_version = defaultdict(list)
    override_follow = defaultdict(list)
    for a, b, kind, note in ov["link"]:
        ua, ub = P.unit_of.get(a), P.unit_of.get(b)
        if ua and ub:
            (override_version if kind == "version" else override_follow)[ua].append((ub, note))
            (override_version if kind == "version" else override_follow)[ub].append((ua, note))

    change_ids: dict[str, set[str]] | None = None
    searched: set[str] = set()

    def add(other: Posting, link: Link) -> None:
        if other.root in members or other.root in cut or link.confidence < min_confidence:
            return
        members[other.root] = other
        links[other.root] = link
        queue.append(other)

    if start.kind != "series":
        # the series this thread follows up on, through its links and Fixes/Revert/pull request
        found = _followup_targets(start, P, body)
        for target, link in found:
            if target.root not in cut:
                links[start.root] = replace(link, to=target.root)
                members[target.root] = target
                links[target.root] = Link("followed up", f"<{start.root}> {link.how}: {link.evidence}", link.confidence, start.root)
                queue.append(target)
                break
        for ub, note in override_version.get(start.root, ()) + override_follow.get(start.root, ()):
            add(P.postings[ub], Link("override", note or "debates override file", 1.0, start.root, "override"))
    while queue:
        post = queue.pop()
        if post.kind != "series":
            continue
        cands = list(_version_candidates(post, P))
        # change-id (b4 prep): read once, only the messages that carry one
        if change_ids is None:
            change_ids = defaultdict(set)
            for mid, text in corpus.bodies(corpus.containing(["change-id:"])).items():
                unit = P.unit_of.get(mid)
                if unit and P.postings[unit].kind == "series":
                    for cid in _CHANGE_ID.findall(text):
                        change_ids[cid].add(unit)
        for cid, units in change_ids.items():
            if post.root in units:
                for u in sorted(units - {post.root}):
                    cands.append((P.postings[u], Link("change-id", f"change-id: {cid}", 1.0, u)))
        cands.extend(_version_links_from_cover(post, P, body))
        for ub, note in override_version.get(post.root, ()):
            cands.append((P.postings[ub], Link("override", note or "debates override file", 1.0, post.root, "override")))
        cands.sort(key=lambda c: -c[1].confidence)
        for other, link in cands:
            add(other, link)
        if not queue:
            # later postings that name a member: a cover letter linking it as a version, or a
            # subject saying "(was <its name>)"
            fresh = [p for p in members.values() if p.kind == "series" and p.root not in searched]
            searched.update(p.root for p in fresh)
            if fresh:
                ids = corpus.containing([p.root for p in fresh] + [i for p in fresh for i in p.part_ids.values()])
                for unit in sorted({P.unit_of[i] for i in ids if i in P.unit_of} - set(members)):
                    other = P.postings[unit]
                    if other.kind != "series" or other.root not in ids:
                        continue
                    for _, link in _version_links_from_cover(other, P, body):
                        if link.to in members:
                            add(other, replace(link, to=link.to))
                            break
                for p in fresh:
                    for other in P.by_author.get(p.author, ()):
                        was = _WAS.search(other.subject)
                        if (was and other.date > p.date and other.root not in members and _words(was.group(1))
                                and _words(was.group(1)) <= _words(p.title) and other.title != p.title
                                and _days(other.date, p.date) <= LONG_WINDOW_DAYS):
                            add(other, Link("was", f"its subject says '({was.group(0)[1:-1]})', the name of v{p.version}", 0.85, p.root))
        if not queue:
            # a vN whose earlier versions are unknown: a rename nobody wrote down
            for p in sorted(members.values(), key=lambda p: p.date):
                if p.kind != "series":
                    continue
                if not any(m.version < p.version and m.date < p.date for m in members.values() if m.kind == "series"):
                    found = _similar_predecessor(p, P, set(members))
                    if found:
                        add(*found)
            # ... and, the other way, a later vN by the author sharing a member's patch title whose
            # own earlier versions are unknown and whose likeliest predecessor is that member
            for p in [m for m in members.values() if m.kind == "series"]:
                for t in p.patch_titles:
                    for other in P.by_patch_title.get(t, ()):
                        if other.root in members or other.author != p.author or other.date <= p.date or other.version < 2:
                            continue
                        if any(q.author == other.author and q.version < other.version and q.date < other.date
                               for q in P.by_title.get(other.title, ())):
                            continue
                        found = _similar_predecessor(other, P, set(members))
                        if found and found[0].root in members:
                            add(other, found[1])
    # versions: drop the asked-for follow-up from the series list
    series = sorted((p for p in members.values() if p.kind == "series"
                     and links[p.root].kind in ("version", "asked", "override")
                     and not (p is start and start.kind != "series")), key=lambda p: (p.date, p.root))
    if start.kind == "series" and start not in series:
        series.insert(0, start)
    # each version's link, told against the versions before it (the BFS found it from wherever)
    # (the first version: against the versions after it; the thread asked about keeps its own
    # link too, debate.query names it)
    for i, p in enumerate(series):
        if links[p.root].kind == "override":
            continue
        near = {q.root for q in series[:i]} or {q.root for q in series[1:]}
        best = None
        for other, link in _version_candidates(p, P) + _version_links_from_cover(p, P, body):
            if other.root in near and (best is None or (link.confidence, -_days(other.date, p.date))
                                       > (best[1].confidence, -_days(best[0].date, p.date))):
                best = (other, link)
        if best is None and i > 0:
            found = _similar_predecessor(p, P, set())
            if found and found[0].root in near:
                best = found
        if best is None and i == 0:
            for q in series[1:]:  # a later version's cover letter that links this one
                for other, link in _version_links_from_cover(q, P, body):
                    if other is p and (best is None or link.confidence > best[1].confidence):
                        best = (q, replace(link, to=q.root))
        if best is not None:
            links[p.root] = best[1]
    if series and start.kind == "series" and not _taken_up:
        for earlier, link in _predecessors(series[0], P):
            if earlier.root not in cut and earlier.root not in members and link.confidence >= min_confidence:
                d = gather(earlier.root, corpus, overrides=overrides, postings=P, min_confidence=min_confidence,
                           _taken_up=True)
                if start in d.followups:
                    d.query = qid
                    return d
    followups, related = _followups(series, P, corpus, body, links, cut, min_confidence)
    for u, note in [(ub, note) for p in series for ub, note in override_follow.get(p.root, ())]:
        post = P.postings[u]
        if post not in followups and post not in series:
            followups.append(post)
            links[u] = Link("override", note or "debates override file", 1.0, None, "follow-up")
    if start.kind != "series" and start not in followups and start not in series:
        followups.append(start)
    followups.sort(key=lambda p: (p.date, p.root))
    return Debate(qid, series, followups, links, related, P, bodies)


def _series_titles(series: list[Posting]) -> set[str]:
    titles = set()
    for p in series:
        titles |= {t for t in p.patch_titles if len(t.split()) >= 3}
    return titles


def _followup_targets(post: Posting, P: Postings, body: Callable[[str], str]) -> list[tuple[Posting, Link]]:
    """For a pull request, fix or other thread: the series postings it names (best first)."""
    out: list[tuple[Posting, Link]] = []
    for mid in post.part_ids.values() or [post.root]:
        text = body(mid)
        for t in _FIXES.findall(text):
            for other in P.by_patch_title.get(norm_title(t), ()):
                out.append((other, Link("fix", f"Fixes: (\"{t.strip()}\")", 0.9, other.root, "fix")))
        r = _REVERT.match(without_prefixes_and_tags(P.head(mid).subject))
        if r:
            for other in P.by_patch_title.get(norm_title(r.group(1)), ()):
                out.append((other, Link("revert", f"reverts \"{r.group(1)}\"", 0.95, other.root, "revert")))
    text = body(post.root)
    if post.kind == "pull-request":
        lines = {norm_title(line) for line in text.splitlines()}
        counts: dict[str, int] = defaultdict(int)
        for t in lines:
            for other in P.by_patch_title.get(t, ()):
                counts[other.root] += 1
        # the most titles listed; of versions listing as many, the latest (the one merged)
        for root, n in sorted(counts.items(), key=lambda kv: (-kv[1], -P.postings[kv[0]].date.timestamp())):
            other = P.postings[root]
            if n >= 2 or n >= 0.5 * len(other.patch_titles):
                out.append((other, Link("pull request", f"lists {n} of {len(other.patch_titles)} patch titles of v{other.version}", 0.9, root, "pull-request")))
    if post.kind == "series":
        out.extend(_predecessors(post, P))
    for mid, line, _ in _lore_links(text):
        other = P.posting_of(mid)
        if other is not None and other is not post and other.kind == "series":
            # the series' author following up (0.6); anyone else citing it is related (0.4)
            same = other.author == post.author and post.kind != "thread"
            out.append((other, Link("links", f"links it: '{line[:120]}'", 0.6 if same else 0.4, other.root, "follow-up")))
    out.sort(key=lambda c: -c[1].confidence)
    return out


def _predecessors(post: Posting, P: Postings) -> list[tuple[Posting, Link]]:
    """Earlier series by the same author that this series takes up again under a new numbering
    (a refused proposal reposted as 'Reintroduce ...' v1, v2): two or more patch titles (or all
    of a small series') identical, and the numbers do not continue the earlier series."""
    out = []
    if _BACKPORT.match(post.subject):
        return out  # a stable backport carries the patches, it does not take the work up again
    counts: dict[str, set[str]] = defaultdict(set)
    for t in post.patch_titles:
        if len(t.split()) < 3:
            continue
        for other in P.by_patch_title.get(t, ()):
            if other is not post and other.author == post.author and other.date < post.date \
                    and _days(other.date, post.date) <= LONG_WINDOW_DAYS:
                counts[other.root].add(t)
    for root, shared in sorted(counts.items(), key=lambda kv: (-len(kv[1]), -P.postings[kv[0]].date.timestamp())):
        other = P.postings[root]
        small = min(len(post.patch_titles), len(other.patch_titles))
        if not (len(shared) >= 2 or small == 1 == len(shared)) or _numbering_continues(other, post, P):
            continue
        reached = max((p.version for p in P.by_title.get(other.title, ()) if p.author == other.author
                       and p.date < post.date), default=other.version)
        if post.version >= reached:
            continue  # not numbered anew (a repost of the same version under another subject)
        if other.title == post.title:
            continue  # the same subject: b4's rule decides (a version, or another series)
        if not (_content_words(other.title) & _content_words(post.title)):
            continue  # patches carried over into an unrelated series
        if any(p.author == other.author and p.date > post.date for p in P.by_title.get(other.title, ())):
            continue  # the earlier series goes on: two series sharing patches, not one taken up again
        out.append((other, Link("successor", f"a later series by the same author under a new name, numbered anew "
                                             f"(v{post.version} after v{reached} of '{other.title}'); {len(shared)} of "
                                             f"{small} patch titles identical, e.g. '{sorted(shared)[0]}'",
                                0.7, other.root, "follow-up")))
    return out


def _followups(series: list[Posting], P: Postings, corpus: Corpus, body, links, cut, min_confidence):
    """Threads that carry, fix, revert or link the series."""
    if not series:
        return [], []
    members = {p.root for p in series}
    titles = _series_titles(series)
    found: dict[str, tuple[Posting, Link]] = {}
    related: list[tuple[Posting, Link]] = []
    series_ids = {mid for p in series for mid in p.message_ids}
    # candidates: messages naming a patch title, or naming one of the series' Message-IDs (any
    # message of its threads: a later series may link the review that asked for it)
    phrases = list(titles) + [mid for p in series for mid in p.message_ids]
    cand_ids = corpus.containing(phrases) - series_ids
    cand_units = {P.unit_of[c] for c in cand_ids if c in P.unit_of}
    for unit in sorted(cand_units):
        if unit in members or unit in cut:
            continue
        post = P.postings[unit]
        first_line_ids = set(post.part_ids.values()) | {post.root}
        # only the posting itself speaks for the thread (not a reply quoting the series)
        if post.kind == "thread" and not (first_line_ids & cand_ids):
            continue
        if not (first_line_ids & cand_ids):
            continue
        if post.date < min(p.date for p in series):
            continue
        best = None
        for target, link in _followup_targets(post, P, body):
            if target.root in members and (best is None or link.confidence > best.confidence):
                best = link
        if best is None:
            continue
        if best.confidence >= min_confidence:
            found[unit] = (post, best)
        else:
            related.append((post, best))
    for unit, (post, link) in found.items():
        links[unit] = link
    return [p for p, _ in found.values()], related


# -- reading the versions ----------------------------------------------------------------------
_TRAILER = re.compile(r"^\s*(Acked-by|Reviewed-by|Tested-by|Nacked-by|NAKed-by|Reported-by|Suggested-by)\s*:\s*(.+?)\s*$", re.I | re.M)
_NACK_WORD = re.compile(r"^\s*(NACK|NAK|Nacked)\b", re.M)


_ATTRIBUTION = re.compile(r"(wrote|writes|said|a écrit|schrieb)\s*:\s*$", re.I)


def _own_lines(text: str) -> str:
    """The writer's own lines: no quoted lines, no 'On ..., X wrote:' attributions, no signature."""
    out = []
    for line in text.splitlines():
        if line.startswith(("--", "diff --git ")) and line.rstrip() in ("--", "-- ", "---") or line.startswith("diff --git "):
            break  # the signature, or a patch's diff (its trailers come before)
        if line.lstrip().startswith(">") or (line.rstrip().endswith(":") and _ATTRIBUTION.search(line)):
            continue
        out.append(line)
    return "\n".join(out)


def _own(debate: "Debate", mid: str) -> str:
    """_own_lines of a message of the debate, once per message."""
    cache = debate.__dict__.setdefault("_own_cache", {})
    if mid not in cache:
        cache[mid] = _own_lines(debate.bodies.get(mid, ""))
    return cache[mid]


def _trailer_kind(name: str) -> str:
    n = name.lower()
    return "Nacked-by" if n.startswith(("nack", "nak")) else name[0].upper() + name[1:].lower().replace("-by", "-by")


def versions(debate: Debate) -> list[dict]:
    """Per version: date, postings, patches, who took part, trailers given and carried."""
    P = debate.postings
    by_version: dict[int, list[Posting]] = defaultdict(list)
    for p in debate.series:
        by_version[p.version].append(p)
    out = []
    authors = {p.author for p in debate.series}  # an author does not NACK their own series (a NACK they quote)
    for v in sorted(by_version):
        posts = sorted(by_version[v], key=lambda p: p.date)
        people: dict[str, str] = {}
        trailers = []
        author = posts[0].author
        for post in posts:
            for mid in post.message_ids:
                m = P.head(mid)
                people.setdefault(m.from_address, m.from_name or m.from_address)
                own = _own(debate, mid)
                is_posting = mid in post.part_ids.values() or mid == post.root
                for kind, value in _TRAILER.findall(own):
                    k = _trailer_kind(kind)
                    if k in ("Reported-by", "Suggested-by"):
                        continue
                    given_by = _name_of(value)
                    if is_posting and m.from_address == author:
                        trailers.append({"kind": k, "by": given_by, "message_id": mid, "carried": True})
                    elif m.from_address.lower() in value.lower() or _same_name(m.from_name, given_by):
                        trailers.append({"kind": k, "by": given_by, "message_id": mid, "carried": False})
                if not is_posting and m.from_address not in authors and (_NACK_WORD.search(own) or _prose_nack(own)) \
                        and not any(t["kind"] == "Nacked-by" and t["message_id"] == mid for t in trailers):
                    trailers.append({"kind": "Nacked-by", "by": m.from_name or m.from_address, "message_id": mid, "carried": False})
        seen = set()
        uniq = []
        for t in trailers:
            key = (t["kind"], t["by"].lower(), t["carried"])
            if key not in seen:
                seen.add(key)
                uniq.append(t)
        out.append({
            "version": v, "date": posts[0].date.date().isoformat(), "roots": [p.root for p in posts],
            "subject": posts[0].subject, "author": posts[0].author_name or posts[0].author,
            "patches": max((max((n for n in p.parts if n >= 1), default=0) for p in posts), default=0) or 1,
            "messages": sum(len(p.message_ids) for p in posts),
            "participants": sorted(people.values()),
            "trailers": uniq,
        })
    return out


def with_nacks(debate: Debate, by_version_stance: dict, vers: list[dict]) -> dict:
    """The stance per version with each NACK given in a version read as that person's
    opposition to it ('basis': 'NACK'; the quote is what the NACK says against the patch): a
    NACK is the plainest stance the mail states, whatever else the person wrote."""
    P = debate.postings
    out = {v: {name: dict(st) for name, st in per.items()} for v, per in by_version_stance.items()}
    for ver in vers:
        per = out.setdefault(ver["version"], {})
        for t in ver["trailers"]:
            if t["kind"] != "Nacked-by" or t["carried"]:
                continue
            addr = P.head(t["message_id"]).from_address
            name = next((n for n, st in per.items() if addr in st.get("addresses", ())), None) \
                or next((n for n in per if _same_name(n, t["by"])), t["by"])
            st = per.setdefault(name, {"messages": 1, "addresses": [addr]})
            reason = nack_reason(_own(debate, t["message_id"]))
            st.update({"stance": "oppose", "confidence": 1.0, "basis": "NACK", "message_id": t["message_id"],
                       "quote": reason or st.get("quote") or f"Nacked-by: {t['by']}"})
    return out


def _prose_nack(own: str) -> str | None:
    """The sentence of a message's own text that NACKs in words ('I repeat my NACK'), if any."""
    cues = _cues()
    if cues.get("nack") is None:
        return None
    for sent in _sentences(own):
        if cues["nack"].search(sent) and not (cues.get("nack_not") is not None and cues["nack_not"].search(sent)):
            return sent
    return None


def nack_reason(own: str) -> str | None:
    """What a NACK says against the patch: the sentence that NACKs in words, else the last
    sentence of the paragraph before the NACK line or Nacked-by trailer (skipping a paragraph
    that only leads into it, 'So for this approach, it's a:')."""
    prose = _prose_nack(own)
    if prose:
        return prose[:300]
    paras = [p for p in re.split(r"\n\s*\n", own) if p.strip()]
    for i, para in enumerate(paras):
        if re.search(r"^\s*(nacked|naked?)-by\s*:", para, re.I | re.M) or _NACK_WORD.search(para):
            before = [line for line in para.splitlines()
                      if not _TRAILER.match(line) and not _NACK_WORD.match(line) and line.strip()]
            cands = ([" ".join(before)] if before else []) + [p for p in reversed(paras[:i])]
            for c in cands:
                sents = [x for x in _sentences(c) if len(x.split()) >= 4]
                if sents and not sents[-1].rstrip().endswith(":"):
                    # the paragraph's sentences, as many of its last ones as fit in 300 characters
                    keep = [sents[-1][:300]]
                    for x in reversed(sents[:-1]):
                        if len(x) + 1 + sum(len(k) + 1 for k in keep) > 300:
                            break
                        keep.insert(0, x)
                    return " ".join(keep)
            return None
    return None


def _name_of(value: str) -> str:
    name = re.sub(r"<[^>]*>|\S+@\S+", " ", value)
    name = " ".join(name.replace('"', " ").split())
    return name or value.strip("<> ")


def _same_name(a: str, b: str) -> bool:
    a, b = " ".join((a or "").lower().split()), " ".join((b or "").lower().split())
    return bool(a) and bool(b) and (a == b or a.split()[-1] == b.split()[-1] and a.split()[0][:1] == b.split()[0][:1])


def load_bodies(debate: Debate, corpus: Corpus) -> None:
    """Fetch the bodies of every message of the debate's threads (for trailers, outcome)."""
    want = [mid for p in debate.threads for mid in p.message_ids if mid not in debate.bodies]
    for start in range(0, len(want), 500):
        debate.bodies.update(corpus.bodies(want[start:start + 500]))


def stances(debate: Debate, analyze: Callable[[list[Message]], object], full: Callable[[list[str]], list[Message]]) -> dict:
    """version -> {person name: (stance, evidence quote, message_id)}; `analyze` is
    analysis.analyze (or a caching wrapper), `full` gives whole messages by id."""
    out: dict[int, dict[str, dict]] = {}
    by_version: dict[int, list[str]] = defaultdict(list)
    for p in debate.series:
        by_version[p.version].extend(p.message_ids)
    for v, ids in sorted(by_version.items()):
        msgs = full(ids)
        if not msgs:
            continue
        try:
            ta = analyze(msgs)
        except AnalysisError:
            continue
        per = {}
        for pos in ta.positions:
            ev = pos.evidence[0] if pos.evidence else None
            per[pos.name] = {"stance": pos.stance, "confidence": round(pos.confidence, 2), "messages": pos.messages,
                             "addresses": list(pos.addresses),
                             "quote": ev.quote if ev else None, "message_id": ev.message_id if ev else None}
        out[v] = per
    return out


def _sentences(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text):
        flat = " ".join(para.split())
        out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", flat) if s.strip())
    return out


def _content_words(text: str) -> set[str]:
    stop = _cues().get("stopwords") or ""
    sw = set(stop.split()) if isinstance(stop, str) else set()
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in sw}


def objections(debate: Debate, by_version_stance: dict, vers: list[dict]) -> list[dict]:
    """The ledger: each objection raised in vN (claim, who, where); whether a later version's
    changelog or the author's reply says it was addressed; whether the objector agreed later."""
    P = debate.postings
    cues = _cues()
    author_addrs = {p.author for p in debate.series}
    ordered = sorted({v["version"] for v in vers})
    cover_of = {}
    for p in debate.series:
        cover_of.setdefault(p.version, p.root)
    title_words = set()
    for p in debate.series:
        title_words |= _content_words(p.title)
    ledger = []
    # a later support counts as the objector agreeing only when the analysis is this sure of it
    # (a weak 'support' is often a review comment on the next version); Acks and Reviews always do
    agree_min = float(cues.get("agreed_min_confidence", 0.7))
    for v in ordered:
        for name, st in by_version_stance.get(v, {}).items():
            if st["stance"] not in ("oppose", "mixed") or not st.get("message_id"):
                continue
            if set(st.get("addresses", ())) & author_addrs:
                continue
            mid, claim = st["message_id"], st["quote"] or ""
            if not claim or _TRAILER.match(claim) or _NACK_WORD.match(claim):
                claim = nack_reason(_own(debate, mid)) or claim  # the reason, not the trailer line
            entry = {"version": v, "by": name, "claim": claim, "message_id": mid, "stance": st["stance"],
                     "addressed": None, "objector_agreed": None}
            # 1. a later version's changelog names the objector or the point
            first = name.split()[0].lower() if name.split() else ""
            last = name.split()[-1].lower() if name.split() else ""
            words = _content_words(claim)
            words -= title_words
            for later in (x for x in ordered if x > v):
                # only what changed after vN (a cumulative changelog repeats the older entries)
                lines = [line for line, after in _changelog_sections(debate.bodies.get(cover_of[later], ""))
                         if after is None or after >= v]
                # the line that shares most of the objection's words, else one naming the objector
                best = max(((len(words & _content_words(line)), line) for line in lines), default=(0, ""), key=lambda x: x[0])
                if best[0] >= 2:
                    entry["addressed"] = {"how": f"v{later} changelog", "evidence": best[1].strip(), "message_id": cover_of[later]}
                    break
                for line in lines:
                    low = line.lower()
                    if (last and len(last) > 2 and re.search(rf"\b{re.escape(last)}\b", low)) or \
                            (first and len(first) > 3 and re.search(rf"\b{re.escape(first)}\b", low)):
                        entry["addressed"] = {"how": f"v{later} changelog names {name}", "evidence": line.strip(), "message_id": cover_of[later]}
                        break
                if entry["addressed"]:
                    break
            # 2. the author's reply to the objection
            if entry["addressed"] is None and cues.get("addressed") is not None:
                for child in _children(P, mid):
                    cm = P.head(child)
                    if cm.from_address not in author_addrs:
                        continue
                    for s in _sentences(_answer_to(debate.bodies.get(child, ""), claim)):
                        if cues["addressed"].search(s) and not s.endswith("?"):
                            entry["addressed"] = {"how": "author replied", "evidence": s[:200], "message_id": child}
                            break
                    if entry["addressed"]:
                        break
            # 3. did the objector agree afterwards (a later support, or an Ack/Review)
            for later in (x for x in ordered if x > v):
                st2 = by_version_stance.get(later, {}).get(name)
                if st2 and st2["stance"] == "support" and (st2.get("confidence") or 0) >= agree_min:
                    entry["objector_agreed"] = {"how": f"supports v{later}", "evidence": st2.get("quote"), "message_id": st2.get("message_id")}
                    break
                ver = next(x for x in vers if x["version"] == later)
                tr = [t for t in ver["trailers"] if not t["carried"] and t["kind"] in ("Acked-by", "Reviewed-by", "Tested-by")
                      and _same_name(t["by"], name)]
                if tr:
                    entry["objector_agreed"] = {"how": f"{tr[0]['kind']} on v{later}", "evidence": f"{tr[0]['kind']}: {tr[0]['by']}", "message_id": tr[0]["message_id"]}
                    break
            ledger.append(entry)
    return ledger


_CHANGELOG_START = re.compile(r"^\s*(changes\b|changelog|v\d+\s*[:\-]|since v\d+|\bv\d+\s*->|previous)", re.I)


_SINCE = re.compile(r"\b(?:since|from|after)\s+v(\d+)\b|\bv(\d+)\s*(?:->|\.\.|=>|to)\s*v\d+\b", re.I)
_IN_VERSION = re.compile(r"^\W*(?:changes\s+(?:in|for)\s+)?v(\d+)\b\s*(?::|-(?!>)|$)", re.I)


def _answer_to(reply: str, claim: str) -> str:
    """The part of a reply that answers the claim: the writer's own lines right after the quoted
    lines that hold most of the claim's words (a reviewer's several points are answered one by
    one under each); the whole own text when the reply does not quote the claim and is short."""
    blocks: list[tuple[bool, list[str]]] = []
    for line in reply.splitlines():
        if line.startswith(("--", "diff --git ")) and line.rstrip() in ("--", "-- ", "---") or line.startswith("diff --git "):
            break
        quoted = line.lstrip().startswith(">")
        if not line.strip():
            if blocks and not blocks[-1][0]:
                blocks[-1][1].append("")
            continue
        if blocks and blocks[-1][0] == quoted:
            blocks[-1][1].append(line)
        else:
            blocks.append((quoted, [line]))
    want = _content_words(claim)
    best, best_i = 0, None
    for i, (quoted, lines) in enumerate(blocks):
        if quoted:
            n = len(want & _content_words(" ".join(l.lstrip("> ") for l in lines)))
            if n > best:
                best, best_i = n, i
    if best_i is not None and best >= min(3, max(1, len(want) // 2)):
        for quoted, lines in blocks[best_i + 1:]:
            if not quoted:
                return _own_lines("\n".join(lines))
        return ""
    own = [b for b in blocks if not b[0] and any(l.strip() and not _ATTRIBUTION.search(l) for l in b[1])]
    return _own_lines("\n".join(own[0][1])) if len(own) == 1 else ""


def _changelog_sections(text: str) -> list[tuple[str, int | None]]:
    """The changelog lines of a cover letter, each with the version after which its change was
    made ('Changes since v3' and 'v3 -> v4': 3; 'v4:' and 'Changes in v4': 3), None when no
    header says."""
    out: list[tuple[str, int | None]] = []
    after = None
    for line in _changelog_lines(text):
        m = _SINCE.search(line)
        if m:
            after = int(m.group(1) or m.group(2))
        else:
            m = _IN_VERSION.match(line)
            if m:
                after = int(m.group(1)) - 1
        out.append((line, after))
    return out


def _changelog_lines(text: str) -> list[str]:
    out, on = [], False
    for line in text.splitlines():
        if line.startswith(">"):
            continue
        if _CHANGELOG_START.search(line):
            on = True
        if on:
            if re.match(r"^\S.*\(\d+\):\s*$", line) or line.startswith("---") or re.match(r"^\s*\S+\s+\|\s+\d+", line):
                break
            if line.strip():
                out.append(line)
    return out


def _children(P: Postings, mid: str) -> list[str]:
    if not hasattr(P, "_children"):
        ch: dict[str, list[str]] = defaultdict(list)
        for c, p in P.parent_of.items():
            if p:
                ch[p].append(c)
        P._children = ch  # type: ignore[attr-defined]
    return P._children.get(mid, [])  # type: ignore[attr-defined]


def _replies(debate: Debate, posts: list[Posting], skip_authors: set[str]):
    """(post, message id, head, sentences of the writer's own text) of each reply by someone else."""
    P = debate.postings
    for post in posts:
        for mid in post.message_ids:
            m = P.head(mid)
            if m.from_address in skip_authors:
                continue
            yield post, mid, m, _sentences(_own(debate, mid))[:40]


def outcome(debate: Debate, vers: list[dict], objs: list[dict], archive_end: datetime | None = None) -> dict:
    """What came of it, from the mail: applied/merged (maintainer replies, pull requests and their
    merge notices), reverted, a refused pull request, NACK standing, withdrawn, abandoned; each
    with its evidence, and the later version that replaced a refused one."""
    P = debate.postings
    cues = _cues()
    author_addrs = {p.author for p in debate.series}
    evidence = []
    last = max(debate.series, key=lambda p: p.date) if debate.series else None
    pulls = [f for f in debate.followups if debate.links.get(f.root) and debate.links[f.root].kind == "pull-request"]
    reverts = [f for f in debate.followups if debate.links.get(f.root) and debate.links[f.root].kind == "revert"]
    for post in reverts:
        evidence.append({"what": "reverted", "message_id": post.root, "quote": post.subject, "date": post.date.date().isoformat()})
    for pr in pulls:
        evidence.append({"what": "pull request", "message_id": pr.root, "quote": pr.subject,
                         "by": pr.author_name or pr.author, "date": pr.date.date().isoformat()})
    applied, refused = [], []
    for post, mid, m, sents in _replies(debate, debate.series + pulls, set()):
        if post.kind == "series" and m.from_address in author_addrs or post.kind != "series" and m.from_address == post.author:
            continue
        for s in sents:
            if post.kind != "series" and cues.get("pull_refused") is not None and cues["pull_refused"].search(s) or \
                    post.kind == "series" and cues.get("refused") is not None and cues["refused"].search(s) \
                    and not (cues.get("refused_not") is not None and cues["refused_not"].search(s)):
                refused.append({"what": "refused", "by": m.from_name or m.from_address, "message_id": mid, "quote": s[:200],
                                "date": m.date.date().isoformat(), "ts": m.ts})
                break
            if s.endswith("?") or (cues.get("not_applied") is not None and cues["not_applied"].search(s)):
                continue
            if cues.get("applied") is not None and cues["applied"].search(s):
                t = re.search(cues.get("tree_pattern", r"$^"), s)
                upstream = cues.get("upstream") is not None and bool(cues["upstream"].search(s))
                applied.append({"what": "merged upstream" if upstream else "applied" if post.kind == "series" else "merged",
                                "by": m.from_name or m.from_address, "message_id": mid, "quote": s[:200],
                                "tree": t.group(1) if t and not upstream else None, "date": m.date.date().isoformat(), "ts": m.ts})
                break
    last_ts = last.date.timestamp() if last else 0
    after = [a for a in applied if a["ts"] >= last_ts - 86400]
    refused_after = [r for r in refused if r["ts"] >= last_ts]
    for x in applied + refused:
        evidence.append({k: v for k, v in x.items() if k != "ts"})
    state, tree, replaced_by = None, None, None
    reverted_titles = sorted({debate.links[p.root].evidence.split('"')[1] for p in reverts if '"' in debate.links[p.root].evidence})
    last_titles = last.patch_titles if last else set()
    whole = bool(reverts) and {norm_title(t) for t in reverted_titles} >= last_titles
    if whole:
        state = "reverted"
    elif refused_after and not any(a["ts"] > refused_after[-1]["ts"] for a in after):
        state = "refused"
    elif after:
        state = "merged" if any(a["what"] != "applied" for a in after) else "applied"
    elif pulls and pulls[-1].date >= (last.date if last else pulls[-1].date):
        state = "in a pull request"
    tree = next((a["tree"] for a in after if a["tree"]), None)
    if refused and last is not None:
        later = [p for p in debate.series if p.date.timestamp() > refused[0]["ts"]]
        if later:
            first_later = min(later, key=lambda p: p.date)
            replaced_by = {"root": first_later.root, "subject": first_later.subject, "version": first_later.version}
    # withdrawn by the author (and no version posted after it); 'I will drop this patch' under
    # one part of a series drops that part, not the series
    for post, mid, m, sents in _replies(debate, debate.series, set()):
        if m.from_address not in author_addrs or mid in post.part_ids.values():
            continue
        if any(p.date > m.date for p in debate.series):
            continue
        parts = set(post.part_ids.values()) | {post.root}
        above = P.parent_of.get(mid)
        for _ in range(100):  # the nearest part (or cover) the reply is under
            if above is None or above in parts:
                break
            above = P.parent_of.get(above)
        under_part = above is not None and above != post.root  # a part of a series, not its cover or lone patch
        for s in sents:
            if under_part and not re.search(r"\b(series|patch\s*set|patchset|proposal)\b", s, re.I):
                continue
            if cues.get("withdrawn") is not None and cues["withdrawn"].search(s):
                evidence.append({"what": "withdrawn", "by": m.from_name, "message_id": mid, "quote": s[:200]})
                state = state or "withdrawn"
                break
    # NACKs and whether they stand (no later Ack or Review by the same person)
    nacks: dict[str, dict] = {}
    for ver in vers:
        for t in ver["trailers"]:
            if t["kind"] != "Nacked-by" or t["carried"]:
                continue
            later_ok = any(not tt["carried"] and tt["kind"] in ("Acked-by", "Reviewed-by") and _same_name(tt["by"], t["by"])
                           for x in vers if x["version"] > ver["version"] for tt in x["trailers"])
            key = next((k for k in nacks if _same_name(k, t["by"])), t["by"].lower())
            earlier = nacks.get(key, {}).get("versions", [])
            nacks[key] = {"by": t["by"], "version": ver["version"], "versions": sorted(set(earlier) | {ver["version"]}),
                          "message_id": t["message_id"], "standing": not later_ok}
    standing = [n for n in nacks.values() if n["standing"]]
    for n in standing:
        on = ", ".join(f"v{v}" for v in n["versions"])
        evidence.append({"what": "NACK standing", "by": n["by"], "message_id": n["message_id"], "quote": f"NACK on {on}"})
    # a later series by the author that takes the work up again under a new name and numbering
    successors = sorted((f for f in debate.followups if debate.links.get(f.root) and debate.links[f.root].how == "successor"
                         and (last is None or f.date > last.date)), key=lambda p: p.date)
    if successors and state not in ("reverted", "merged", "applied", "in a pull request"):
        s0 = successors[0]
        replaced_by = {"root": s0.root, "subject": s0.subject, "version": s0.version}
        evidence.append({"what": "taken up again", "by": s0.author_name or s0.author, "message_id": s0.root,
                         "quote": s0.subject, "date": s0.date.date().isoformat()})
    if state is None and last is not None:
        end = archive_end or P.end
        idle = _days(end, max(P.head(mid).date for p in debate.series for mid in p.message_ids))
        # a refusal the last version did not answer: a NACK standing on it, a pull request refused
        # after it, an objection to it nobody took back
        refusal = (any(n["version"] == last.version for n in standing) or bool(refused_after)
                   or any(o["version"] == last.version and o["stance"] == "oppose" and not o["objector_agreed"] for o in objs))
        if successors:
            # not abandoned: the author went on under another name (outcome.replaced_by)
            state = "NACK standing" if standing else "refused" if refusal else "replaced"
        elif idle > 180:
            state = "abandoned after refusal" if refusal else "no outcome on the list"
            evidence.append({"what": "no new version", "quote": f"last version v{last.version} on {last.date.date().isoformat()}, "
                             f"nothing for {idle:.0f} days before the archive ends", "message_id": last.root})
        else:
            state = "NACK standing" if standing else "open"
    return {"state": state, "tree": tree, "nack_standing": bool(standing), "nacks": list(nacks.values()),
            "reverted": reverted_titles,
            "evidence": evidence, "last_version": last.version if last else None, "replaced_by": replaced_by}


def to_json(debate: Debate, vers: list[dict], by_version_stance: dict | None, objs: list[dict], out: dict) -> dict:
    """The JSON contract of `hookdebate debate --json` (docs/DESIGN.md)."""
    first = debate.series[0] if debate.series else debate.threads[0]
    threads = []
    for p in debate.threads:
        link = debate.links.get(p.root)
        threads.append({
            "root": p.root, "subject": p.subject, "version": p.version if p.kind == "series" else None,
            "date": p.date.date().isoformat(), "kind": "version" if p in debate.series else (link.kind if link else "follow-up"),
            "author": p.author_name or p.author, "messages": len(p.message_ids),
            "link": {"how": link.how, "evidence": link.evidence, "confidence": round(link.confidence, 2), "to": link.to}
            if link else None,
        })
    people: dict[str, dict] = {}
    for v in vers:
        for name in v["participants"]:
            people.setdefault(name, {"name": name, "by_version": {}})
            people[name]["by_version"].setdefault(str(v["version"]), {"took_part": True})
    if by_version_stance:
        for v, per in by_version_stance.items():
            for name, st in per.items():
                people.setdefault(name, {"name": name, "by_version": {}})
                people[name]["by_version"][str(v)] = {"took_part": True, "stance": st["stance"], "confidence": st["confidence"],
                                                      "quote": st["quote"], "message_id": st["message_id"]}
                if st.get("basis"):
                    people[name]["by_version"][str(v)]["basis"] = st["basis"]
    for v in vers:
        for t in v["trailers"]:
            if t["carried"]:
                continue
            for name, person in people.items():
                if _same_name(name, t["by"]):
                    person["by_version"].setdefault(str(v["version"]), {"took_part": True}).setdefault("trailers", []).append(t["kind"])
    titles = []
    for p in debate.series:
        if p.title not in titles:
            titles.append(p.title)
    return {
        "debate": {"query": debate.query, "first": first.root, "title": without_prefixes_and_tags(debate.series[-1].subject) if debate.series else first.subject,
                   "names": titles, "versions": sorted({p.version for p in debate.series}),
                   "from": min(p.date for p in debate.threads).date().isoformat(),
                   "to": max(p.date for p in debate.threads).date().isoformat(),
                   "related": [{"root": p.root, "subject": p.subject, "how": l.how, "evidence": l.evidence,
                                "confidence": round(l.confidence, 2)} for p, l in debate.related]},
        "threads": threads,
        "versions": vers,
        "participants": sorted(people.values(), key=lambda x: (-len(x["by_version"]), x["name"])),
        "objections": objs,
        "outcome": out,
    }
