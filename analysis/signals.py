"""Merge, NACK and ack/review signals read from a thread's mail bodies (the report states them
in its outcome section: hookdebate.report.data)."""
from __future__ import annotations

import re


_MERGED = re.compile(r"(?i:\b(I|I've|I have|we|we've|we have)\s+(now\s+|just\s+|also\s+|already\s+)?"
                     r"(merged|applied|queued|picked up)\s+(it|this|these|them|the|patch|v\d|to|into|in)\b|"
                     r"\b(this|it|the (patch|patchset|series|pull request|changes?)|these( patches)?|pull request you "
                     r"sent[^.]*?)\s+(has|have) been (merged|applied|pulled)\b)|^(Applied|Merged|Queued)\b|^has been merged into\b")
_NACK = re.compile(r"^NACK\b|(?i:\b(I|I'd|I would|I repeat|I still)\s+(\w+\s+){0,2})NACK\b")
_TAG = re.compile(r"^\s*(?P<tag>Acked|Reviewed|Nacked)-by:\s*(?P<who>[^<\n]+?)\s*(<|$)")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _gives_own(who: str, author: str) -> bool:
    """Is the trailer's person the message's writer (an Acked-by: with the sender's own name)?"""
    from analysis.identity import normalize_name

    a, w = normalize_name(author), normalize_name(who)
    return bool(a) and bool(w) and (a == w or a.split()[-1] == w.split()[-1])


def mail_signals(analysis, timeline) -> list[dict]:
    """Merge, NACK and ack/review statements in the mail itself (quoted '>' lines skipped): the
    outcome a reader looks for first, stated with who wrote it and where. timeline: the thread's
    messages in date order as {"message_id", "author" (as the report names them), "date" (a
    datetime, or a raw Date header's text), "url"}; each signal: {"kind": "merged"|"nack", "author",
    "date" (the message's), "url", "text"}, then
    {"kind": "ack", "names"} (tags the writers gave in their own mail) and {"kind": "carried",
    "names"} (tags the proposer's patches carry from earlier versions)."""
    msgs = {m.message_id: m for m in analysis.messages}
    out: list[dict] = []
    acks: list[str] = []
    carried: list[str] = []
    proposer = timeline[0]["author"] if timeline else None
    for t in timeline:
        body = getattr(msgs.get(t["message_id"]), "body", "") or ""
        paras, cur = [], []
        for line in body.splitlines():
            if line.strip() in ("--", "-- ") or line.startswith(("diff --git", "---")):
                break
            m = _TAG.match(line)
            if m:
                who = m.group("who").strip().strip('"')
                if m.group("tag") == "Nacked":
                    out.append({"kind": "nack", "author": who, "date": t["date"], "url": t["url"],
                                "text": f"Nacked-by: {who}"})
                elif who and t["author"] == proposer and who != proposer:
                    if who not in carried:
                        carried.append(who)  # a tag the patch carries (given on an earlier version)
                elif who and who not in acks and _gives_own(who, t["author"]):
                    # only a tag the writer gives in their own mail: an indented commit
                    # message quoted in a reply carries other people's tags
                    acks.append(who)
                continue
            if line.lstrip().startswith(">") or not line.strip():
                if cur:
                    paras.append(" ".join(cur))
                cur = []
            else:
                cur.append(line.strip())
        if cur:
            paras.append(" ".join(cur))
        seen = set()
        for para in paras:
            for sent in _SENT.split(para):
                for kind, rx in (("merged", _MERGED), ("nack", _NACK)):
                    if kind not in seen and rx.search(sent):
                        seen.add(kind)
                        out.append({"kind": kind, "author": t["author"], "date": t["date"], "url": t["url"],
                                    "text": sent[:200] + ("\u2026" if len(sent) > 200 else "")})
    if acks:
        out.append({"kind": "ack", "names": acks})
    carried = [x for x in carried if x not in acks]
    if carried:
        out.append({"kind": "carried", "names": carried})
    return out
