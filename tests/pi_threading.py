"""hookdebate's threading against public-inbox's own, on one v2 inbox.

public-inbox's side is read by tests/pi_threads.pl through public-inbox's Perl modules:
the thread id (`tid`) over.sqlite3 gives each message (strict threading by References and
In-Reply-To, ghosts included) and the parent its /T/ view shows (PublicInbox::SearchThread,
the last id of References + In-Reply-To, through ghosts to the nearest present ancestor).
hookdebate's side is analysis.threading (split_threads, parents) over the same mail.
Used by bench/bench_threading.py and tests/test_threading_pi.py.
"""
from __future__ import annotations

import itertools
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PI_THREADS = HERE / "pi_threads.pl"


@dataclass
class PiMessage:
    tid: str
    sid: str
    parent: str  # the /T/ container, may be a ghost ('' for a root)
    present_parent: str  # nearest ancestor in the archive ('' for a root)
    references: tuple[str, ...]  # what public-inbox indexed from References + In-Reply-To


def pi_threading(inbox: Path, env: dict | None = None) -> dict[str, PiMessage]:
    """Message-ID -> public-inbox's threading of it, for every message of the v2 inbox."""
    out = subprocess.run(["perl", str(PI_THREADS), str(inbox)], env=env, check=True,
                         capture_output=True).stdout.decode("utf-8")
    result = {}
    for line in out.splitlines():
        mid, tid, sid, parent, present, refs = line.split("\t")
        result[mid] = PiMessage(tid, sid, parent, present, tuple(refs.split()))
    return result


def hd_threading(messages) -> tuple[dict[str, int], dict[str, str | None]]:
    """hookdebate: Message-ID -> thread number, Message-ID -> parent (None for roots)."""
    from analysis.threading import parents, split_threads

    thread_of, parent_of = {}, {}
    for i, thread in enumerate(split_threads(messages)):
        for m in thread:
            thread_of[m.message_id] = i
        parent_of.update(parents(thread))
    return thread_of, parent_of


def _pairs(label: dict) -> set[tuple[str, str]]:
    groups = defaultdict(list)
    for mid, t in label.items():
        groups[t].append(mid)
    return {p for g in groups.values() for p in itertools.combinations(sorted(g), 2)}


@dataclass
class Agreement:
    messages: int
    hd_threads: int
    pi_threads: int
    pairs_hd: int
    pairs_pi: int
    pairs_both: int
    same_threads: int  # threads with exactly the same messages on both sides
    parents_same: int
    parents_same_rule: int  # vs "last References id present in the archive, else In-Reply-To"
    splits: list = field(default_factory=list)  # (pi tid, [mid...]) public-inbox has as one thread, hookdebate as several
    joins: list = field(default_factory=list)  # (class, example mid, messages) hookdebate has as one, public-inbox as several
    parent_diffs: dict = field(default_factory=dict)  # class -> [(mid, hd parent, pi parent)]

    @property
    def precision(self) -> float:
        return self.pairs_both / self.pairs_hd if self.pairs_hd else 1.0

    @property
    def recall(self) -> float:
        return self.pairs_both / self.pairs_pi if self.pairs_pi else 1.0

    def lines(self) -> list[str]:
        out = [f"messages in both: {self.messages}",
               f"threads: hookdebate {self.hd_threads}, public-inbox (tid) {self.pi_threads}; "
               f"identical {self.same_threads}",
               f"same-thread pairs: hookdebate {self.pairs_hd}, public-inbox {self.pairs_pi}, both {self.pairs_both}"
               f" -> precision {self.precision:.5f}, recall {self.recall:.5f}",
               f"parent = public-inbox /T/ parent: {self.parents_same}/{self.messages} "
               f"({self.parents_same / max(self.messages, 1):.4f})",
               f"parent = last References id present, else In-Reply-To: {self.parents_same_rule}/{self.messages}"]
        for tid, mids in self.splits:
            out.append(f"  split (one public-inbox thread, several here): tid {tid}, e.g. <{mids[0]}>")
        for cls, mid, n in self.joins:
            out.append(f"  joined (several public-inbox threads, one here), {cls}: <{mid}> ({n} messages)")
        for cls, rows in sorted(self.parent_diffs.items()):
            out.append(f"  parent differs, {cls}: {len(rows)}, e.g. <{rows[0][0]}> "
                       f"(here <{rows[0][1]}>, public-inbox <{rows[0][2]}>)")
        return out


# The one class of parent disagreement that is hookdebate's choice: the client wrote
# References with In-Reply-To first (nmh/exmh do), so References' last id is an older
# ancestor; public-inbox's /T/ takes the last id, hookdebate the In-Reply-To.
IRT_FIRST = "In-Reply-To present but not References' last id (hookdebate follows In-Reply-To)"
OTHER = "other"
# The one class of join that is hookdebate's choice: a "Re: <subject>" that names no
# message (no In-Reply-To, no References) joins the one earlier thread with its subject;
# public-inbox's /T/ view shows it there too (by subject id), its thread id does not.
BY_SUBJECT = "reply without In-Reply-To/References joined by its subject (as public-inbox's /T/ shows it)"


def compare(messages, pi: dict[str, PiMessage]) -> Agreement:
    msgs = {m.message_id: m for m in messages}
    thread_of, parent_of = hd_threading(msgs.values())
    common = sorted(set(thread_of) & set(pi))
    hd = {m: thread_of[m] for m in common}
    pt = {m: pi[m].tid for m in common}
    hp, pp = _pairs(hd), _pairs(pt)
    hd_groups, pi_groups = defaultdict(set), defaultdict(set)
    for m in common:
        hd_groups[hd[m]].add(m)
        pi_groups[pt[m]].add(m)
    same = len({frozenset(g) for g in hd_groups.values()} & {frozenset(g) for g in pi_groups.values()})
    splits = [(t, sorted(g)) for t, g in pi_groups.items() if len({hd[m] for m in g}) > 1]
    from analysis.threading import _subject_reply

    joins = []
    for g in hd_groups.values():
        if len({pt[m] for m in g}) > 1:
            by_subject = sorted(m for m in g if _subject_reply(msgs[m]))
            joins.append((BY_SUBJECT if by_subject else OTHER, (by_subject or sorted(g))[0], len(g)))
    present = set(msgs)
    diffs: dict[str, list] = defaultdict(list)
    same_parent = same_rule = 0
    for mid in common:
        m = msgs[mid]
        mine = parent_of.get(mid) or ""
        theirs = pi[mid].present_parent
        refs_present = [r for r in m.references if r in present and r != mid]
        rule = refs_present[-1] if refs_present else (m.in_reply_to if m.in_reply_to in present else "")
        same_rule += mine == (rule or "")
        if mine == theirs:
            same_parent += 1
            continue
        irt = m.in_reply_to
        if irt and irt in present and mine == irt and m.references and m.references[-1] != irt:
            diffs[IRT_FIRST].append((mid, mine, theirs))
        else:
            diffs[OTHER].append((mid, mine, theirs))
    return Agreement(len(common), len(set(hd.values())), len(set(pt.values())), len(hp), len(pp), len(hp & pp),
                     same, same_parent, same_rule, splits, joins, dict(diffs))


_ENTRY = re.compile(r'^(\d{4}-\d\d-\d\d [ \d]\d:\d\d|     \[not found\])( *` | )(?:&lt;)?<a\n'
                    r'href="([^"]+)"\nid=r[0-9a-f]+>', re.M)


def http_present_parents(base: str, pi: dict[str, PiMessage]) -> dict[str, str]:
    """The present parent of each message as public-inbox-httpd's /T/ page draws it: the
    thread overview's indentation ('` ' per level, ghosts as '[not found]'), real
    messages named by their anchor (#m + SHA-1 of the Message-ID). One page per thread id;
    a cross-check of pi_threads.pl against what a reader sees."""
    import hashlib
    import urllib.parse
    import urllib.request

    by_sha = {hashlib.sha1(m.encode()).hexdigest(): m for m in pi}
    first_of_tid: dict[str, str] = {}
    for mid, p in pi.items():
        first_of_tid.setdefault(p.tid, mid)
    out: dict[str, str] = {}
    for mid in first_of_tid.values():
        url = base + urllib.parse.quote(mid, safe="@+=$-_.!~*'(),") + "/T/"
        with urllib.request.urlopen(url, timeout=30) as r:
            page = r.read().decode("utf-8", "replace")
        stack: list[tuple[int, str | None]] = []
        for e in _ENTRY.finditer(page[page.find("links below jump"):]):
            lead, tick, href = e.groups()
            depth = 0 if "`" not in tick else (len(lead) + len(tick) - 18) // 2 + 1
            m = by_sha.get(href[2:]) if href.startswith("#m") else None
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if m and m not in out:
                out[m] = next((x for _, x in reversed(stack) if x), "")
            stack.append((depth, m))
    return out
