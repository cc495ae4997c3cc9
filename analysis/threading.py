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
    # Break cycles (forged or broken headers): a message whose walk up comes back on itself
    # loses its parent link (_break_cycles: the same cuts as walking up from every message
    # in turn, in linear time).
    _break_cycles(parent_of)
    # A reply without reply headers goes under the root of the one earlier thread
    # with its subject (none when the subject is in no or in several threads, or
    # or when that thread's start is missing from the archive: then it is one more
    # root of the thread, as split_threads groups it).
    by_id = {x.message_id: x for x in msgs}
    tops = _Tops(parent_of)
    for m, top_id in _subject_joins(msgs, lambda c: tops.top(c.message_id)):
        top = by_id[top_id]
        # only under a thread's own start, not under a reply whose parent is missing
        if top.message_id != m.message_id and not top.in_reply_to and not top.references:
            tops.attach(m.message_id, top.message_id)
            parent_of[m.message_id] = top.message_id
    return parent_of


def _break_cycles(parent_of: dict[str, str | None]) -> None:
    """Cut the parent links that walking up from each message in turn (dict order) cuts: a
    message is cut when its walk, over the links as they stand at its turn, comes back to a
    message already on the walk. Only messages that lead into a cycle can be cut: in each
    cycle the first member in order is cut (the others then reach it), and a message on a
    branch leading into a cycle is cut when no message between it and the cycle, cycle
    included, was cut before its turn. Linear: colour the functional graph to find the
    cycles, then go out from each cycle along the reversed links."""
    order = {mid: i for i, mid in enumerate(parent_of)}
    state: dict[str, int] = {}  # 1 on the current walk, 2 done
    cycles: list[list[str]] = []
    for start in parent_of:
        if start in state:
            continue
        path = []
        cur: str | None = start
        while cur is not None and cur not in state:
            state[cur] = 1
            path.append(cur)
            cur = parent_of.get(cur)
        if cur is not None and state[cur] == 1:  # the walk closed on itself: a new cycle
            cycles.append(path[path.index(cur):])
        for x in path:
            state[x] = 2
    if not cycles:
        return
    kids: dict[str, list[str]] = defaultdict(list)
    for mid, p in parent_of.items():
        if p is not None:
            kids[p].append(mid)
    inf = len(order)
    cut_at: dict[str, int] = {}  # order index of the turn a message is cut at (inf: never)
    first_cut: dict[str, int] = {}  # the earliest cut strictly above a message (to the cycle)
    cuts: list[str] = []
    for cycle in cycles:
        members = set(cycle)
        c0 = min(cycle, key=order.__getitem__)
        for c in cycle:
            cut_at[c] = order[c] if c == c0 else inf
        queue = []
        for c in cycle:
            for k in kids.get(c, ()):
                if k not in members:
                    first_cut[k] = order[c0]
                    queue.append(k)
        cuts.append(c0)
        while queue:
            x = queue.pop()
            cut_at[x] = order[x] if first_cut[x] > order[x] else inf
            if cut_at[x] < inf:
                cuts.append(x)
            below = min(first_cut[x], cut_at[x])
            for k in kids.get(x, ()):
                first_cut[k] = below
                queue.append(k)
    for mid in cuts:
        parent_of[mid] = None


class _Tops:
    """The top (root) of each message's thread while subject joins hang roots under other
    roots: the tops of the cycle-free links, computed once, and each joined root pointing to
    the root it now hangs under (followed with path compression)."""

    def __init__(self, parent_of: dict[str, str | None]):
        self._parent_of = parent_of
        self._top: dict[str, str] = {}
        self._under: dict[str, str] = {}

    def _first_top(self, mid: str) -> str:
        path = []
        cur = mid
        while cur not in self._top and self._parent_of.get(cur) is not None:
            path.append(cur)
            cur = self._parent_of[cur]
        top = self._top.get(cur, cur)
        self._top[cur] = top
        for x in path:
            self._top[x] = top
        return top

    def top(self, mid: str) -> str:
        r = self._first_top(mid)
        path = []
        while r in self._under:
            path.append(r)
            r = self._under[r]
        for x in path:
            self._under[x] = r
        return r

    def attach(self, root: str, under: str) -> None:
        """Before parent_of[root] = under (root is a thread's top)."""
        a, b = self.top(root), self.top(under)
        if a != b:
            self._under[a] = b


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
    top = _tops_in_order(order, parent_of)
    sizes = {r: 0 for r in roots}
    for mid in order:
        sizes[top[mid]] += 1
    root = min(roots, key=lambda r: (-sizes[r], _date_key(by_id[r])))
    # Put the main root's subtree first so order[0] == root_id.
    if order[0] != root:
        main = [mid for mid in order if top[mid] == root]
        rest = [mid for mid in order if top[mid] != root]
        order = main + rest
    return ThreadTree(root_id=root, parent_of=parent_of, order=tuple(order))


def _tops_in_order(order: list[str], parent_of: dict[str, str | None]) -> dict[str, str]:
    """message_id -> the root above it, for an order that puts every parent before its children."""
    top: dict[str, str] = {}
    for mid in order:
        p = parent_of[mid]
        top[mid] = mid if p is None else top[p]
    return top


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
