"""JWZ-style threading: who replies to whom.

Pure Python; no spaCy. A message's parent is its In-Reply-To when that message
is present, else the nearest present Message-ID in References (newest first),
so a reply whose direct parent is missing from the archive is bridged to its
nearest present ancestor. Messages with no present ancestor are roots, except a
reply that names no message at all (no In-Reply-To, no References) but says it is
one ("Re: <subject>"): it goes under the root of the one earlier thread with that
subject (JWZ's subject grouping, narrowed; public-inbox's /T/ view shows such a
message by subject too). Checked against public-inbox's threading by
bench/bench_threading.py.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Iterable, Iterator

from analysis.disjoint import DisjointSets
from analysis.errors import AnalysisError
from analysis.model import ThreadTree
from analysis.subjects import REPLY_PREFIX
from mailrecords import Message

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _date_key(m: Message) -> tuple:
    d = m.date
    if d is not None and d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return (d or _EPOCH, m.message_id)


def _dedupe(messages: Iterable[Message]) -> list[Message]:
    seen: dict[str, Message] = {}
    for m in messages:
        seen.setdefault(m.message_id, m)
    return list(seen.values())


def _subject_key(subject: str | None) -> str:
    """The subject without reply prefixes, whitespace collapsed, lower-cased."""
    return " ".join(REPLY_PREFIX.sub("", subject or "").split()).lower()


def _subject_reply(m: Message) -> str | None:
    """The subject key of a reply that names no message (no In-Reply-To, no References:
    a client that dropped them) but calls itself one ('Re: ...'), when the subject is
    specific enough (three words or more) to find its thread by; else None."""
    if m.in_reply_to or m.references or not REPLY_PREFIX.match(m.subject or ""):
        return None
    key = _subject_key(m.subject)
    return key if len(key.split()) >= 3 else None


def _by_subject(msgs: list[Message]) -> dict[str, list[Message]]:
    """Subject key -> the messages with that subject that are threaded by their headers."""
    out: dict[str, list[Message]] = defaultdict(list)
    for m in msgs:
        if _subject_reply(m) is None:
            out[_subject_key(m.subject)].append(m)
    return out


def _subject_joins(msgs: list[Message], group_of) -> Iterator[tuple[Message, object]]:
    """(reply, group) for each reply without reply headers whose subject names exactly
    one group among the earlier messages with that subject; group_of(message) -> group
    (its thread's root in parents(), its disjoint set in split_threads()). Lazy: a join
    the caller makes is seen by the replies after it."""
    by_subject = None
    for m in msgs:
        key = _subject_reply(m)
        if key is None:
            continue
        if by_subject is None:
            by_subject = _by_subject(msgs)
        groups = {group_of(c) for c in by_subject.get(key, ()) if _date_key(c) < _date_key(m)}
        if len(groups) == 1:
            yield m, groups.pop()


def parents(messages: Iterable[Message]) -> dict[str, str | None]:
    """message_id -> parent message_id among the given messages (None for roots)."""
    msgs = _dedupe(messages)
    present = {m.message_id for m in msgs}
    parent_of: dict[str, str | None] = {}
    for m in msgs:
        candidates: list[str] = []
        if m.in_reply_to:
            candidates.append(m.in_reply_to)
        candidates.extend(reversed(m.references))
        parent = None
        for c in candidates:
            if c in present and c != m.message_id:
                parent = c
                break
        parent_of[m.message_id] = parent
    # Break cycles (forged or broken headers): walk up; if we come back, cut the link.
    for mid in list(parent_of):
        seen = {mid}
        cur = parent_of[mid]
        while cur is not None:
            if cur in seen:
                parent_of[mid] = None
                break
            seen.add(cur)
            cur = parent_of.get(cur)
    # A reply without reply headers goes under the root of the one earlier thread
    # with its subject (none when the subject is in no or in several threads, or
    # or when that thread's start is missing from the archive: then it is one more
    # root of the thread, as split_threads groups it).
    by_id = {x.message_id: x for x in msgs}
    for m, top_id in _subject_joins(msgs, lambda c: _top(c.message_id, parent_of)):
        top = by_id[top_id]
        # only under a thread's own start, not under a reply whose parent is missing
        if top.message_id != m.message_id and not top.in_reply_to and not top.references:
            parent_of[m.message_id] = top.message_id
    return parent_of


def _order(msgs: list[Message], parent_of: dict[str, str | None]) -> list[str]:
    by_id = {m.message_id: m for m in msgs}
    kids: dict[str | None, list[Message]] = defaultdict(list)
    for m in msgs:
        kids[parent_of[m.message_id]].append(m)
    for k in kids.values():
        k.sort(key=_date_key)
    out: list[str] = []
    stack = [m.message_id for m in reversed(kids[None])]
    while stack:
        mid = stack.pop()
        out.append(mid)
        stack.extend(c.message_id for c in reversed(kids.get(mid, [])))
    assert len(out) == len(by_id)
    return out


def build_tree(messages: Iterable[Message]) -> ThreadTree:
    """The reply tree of one thread. Several roots (a thread whose root is missing)
    are kept in date order; root_id is the earliest root (the one with most
    descendants when dates tie)."""
    msgs = _dedupe(messages)
    if not msgs:
        raise AnalysisError("cannot build a thread tree from zero messages")
    parent_of = parents(msgs)
    order = _order(msgs, parent_of)
    roots = [mid for mid in order if parent_of[mid] is None]
    by_id = {m.message_id: m for m in msgs}
    sizes = {r: 0 for r in roots}
    for mid in order:
        cur = mid
        while parent_of[cur] is not None:
            cur = parent_of[cur]
        sizes[cur] += 1
    root = min(roots, key=lambda r: (-sizes[r], _date_key(by_id[r])))
    # Put the main root's subtree first so order[0] == root_id.
    if order[0] != root:
        main = [mid for mid in order if _top(mid, parent_of) == root]
        rest = [mid for mid in order if _top(mid, parent_of) != root]
        order = main + rest
    return ThreadTree(root_id=root, parent_of=parent_of, order=tuple(order))


def _top(mid: str, parent_of: dict[str, str | None]) -> str:
    while parent_of[mid] is not None:
        mid = parent_of[mid]
    return mid


def split_threads(messages: Iterable[Message]) -> list[list[Message]]:
    """Group messages into threads: connected components of the relation "names in
    References or In-Reply-To", through every named Message-ID, present in the
    archive or not (as JWZ threading and public-inbox's thread ids do). Replies to
    the same missing message belong together, and so do replies whose missing
    ancestors are linked only by a third message's References.
    A reply without reply headers joins the one earlier thread with its subject
    (see parents()).
    Threads are returned largest first; messages within a thread in tree order."""
    msgs = _dedupe(messages)
    if not msgs:
        return []
    sets = DisjointSets()
    find, union = sets.find, sets.union

    for m in msgs:
        find(m.message_id)
        # Every named id, missing ones too: a reply naming only a missing parent P
        # and one naming P's missing parent Q are joined by a third that names both
        # (joining through the first id only split such threads, and a client that
        # writes References out of order puts a non-root first).
        for ref in m.references:
            union(m.message_id, ref)
        if m.in_reply_to:
            union(m.message_id, m.in_reply_to)
    for m, root in _subject_joins(msgs, lambda c: find(c.message_id)):
        union(m.message_id, root)
    groups: dict[str, list[Message]] = defaultdict(list)
    for m in msgs:
        groups[find(m.message_id)].append(m)
    threads = []
    for group in groups.values():
        parent_of = parents(group)
        order = _order(group, parent_of)
        by_id = {m.message_id: m for m in group}
        threads.append([by_id[mid] for mid in order])
    threads.sort(key=lambda t: (-len(t), _date_key(t[0])))
    return threads
