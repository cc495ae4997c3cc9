"""One serialization per shape: the DESIGN.md contracts (`positions --json`, `claims --json`)
and the stored documents (the analysis cache, the debate postings index), each record's
to_json/from_json in one place."""
from __future__ import annotations

import base64
from datetime import datetime
from typing import Callable

from analysis.model import (Claim, Evidence, MessageStance, Person, Position, ReplyPair, ReplyTarget,
                            Segment, ThreadAnalysis, ThreadTree)
from mailrecords import Message


def positions_json(a: ThreadAnalysis) -> dict:
    return {
        "thread": a.tree.root_id,
        "proposal": a.proposal,
        "participants": [
            {"name": p.name, "addresses": list(p.addresses), "messages": p.messages, "stance": p.stance,
             "confidence": p.confidence,
             "evidence": [evidence_to_json(e) for e in p.evidence]}
            for p in a.positions
        ],
        "messages": [
            {"message_id": s.message_id, "author": a.person(s.author).name, "stance": s.stance,
             "evidence": [evidence_to_json(e) for e in s.evidence]}
            for s in a.message_stances
        ],
    }


def _author_name(a: ThreadAnalysis, person_id: str | None) -> str | None:
    if person_id is None:
        return None
    try:
        return a.person(person_id).name
    except KeyError:
        return person_id


def claim_json(c: Claim, name_of: Callable[[str | None], str | None], url: str | None = None) -> dict:
    """A claim as the `claims --json` contract and the report show it: the author and the
    replied-to author by name (name_of: person id -> name). With url (the report's entry) a
    "url" follows "message_id" and "relation" comes before "responds_to", the key order the
    report's JSON has always had (claim_to_json is the stored shape, with person ids)."""
    rt = None if c.responds_to is None else {"message_id": c.responds_to.message_id,
                                              "author": name_of(c.responds_to.author),
                                              "quote": c.responds_to.quote}
    d = {"id": c.claim_id, "message_id": c.message_id}
    if url is not None:
        d["url"] = url
    d.update(author=name_of(c.author), text=c.text, type=c.type, cites=list(c.cites))
    if url is None:
        d.update(responds_to=rt, relation=c.relation)
    else:
        d.update(relation=c.relation, responds_to=rt)
    return d


def claims_json(a: ThreadAnalysis) -> list[dict]:
    """`claims --json` entries, with "scenarios" and "verdicts" left for the linker to fill
    (analysis.link.claims_with_verdicts)."""
    return [claim_json(c, lambda pid: _author_name(a, pid)) | {"scenarios": [], "verdicts": []}
            for c in a.claims]


# -- the stored shapes: one to_json/from_json per record, data only ------------------------
# The analysis cache and the debate postings index are kept in the store as JSON made here
# (docs/DESIGN.md, "Stored formats"): plain objects, lists, strings and numbers, read back
# field by field into the same frozen dataclasses. Nothing in a stored document is ever
# executed or used to pick a class; a document of another format or version is refused
# (FormatError) and the caller recomputes.

ANALYSIS_FORMAT = "hookdebate.thread-analysis"
ANALYSIS_VERSION = 1
POSTINGS_FORMAT = "hookdebate.debate-postings"
POSTINGS_VERSION = 1


class FormatError(ValueError):
    """A stored document that is not of the expected format and version."""


def _check(doc, fmt: str, version: int) -> dict:
    if not isinstance(doc, dict) or doc.get("format") != fmt or doc.get("version") != version:
        got = (doc.get("format"), doc.get("version")) if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(f"expected {fmt} version {version}, got {got}")
    return doc


def date_to_json(d: datetime | None) -> str | None:
    """A datetime as ISO 8601 with its offset (the sender's), or None."""
    return d.isoformat() if d is not None else None


def date_from_json(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s is not None else None


def message_to_json(m: Message, raw: bool = True) -> dict:
    """raw=False leaves the archived bytes out (a document that names the message by its
    Message-ID and reads it back from the store)."""
    d = {"message_id": m.message_id, "subject": m.subject, "from_name": m.from_name,
         "from_address": m.from_address, "date": date_to_json(m.date), "date_raw": m.date_raw,
         "in_reply_to": m.in_reply_to, "references": list(m.references), "body": m.body,
         "origin": m.origin, "to": list(m.to), "cc": list(m.cc), "list_ids": list(m.list_ids),
         "duplicate_of_archive": m.duplicate_of_archive}
    if raw:
        d["raw"] = base64.b64encode(m.raw).decode("ascii")
    return d


def message_from_json(d: dict) -> Message:
    return Message(message_id=d["message_id"], subject=d["subject"], from_name=d["from_name"],
                   from_address=d["from_address"], date=date_from_json(d["date"]), date_raw=d["date_raw"],
                   in_reply_to=d["in_reply_to"], references=tuple(d["references"]), body=d["body"],
                   raw=base64.b64decode(d.get("raw", "")), origin=d["origin"], to=tuple(d["to"]),
                   cc=tuple(d["cc"]), list_ids=tuple(d["list_ids"]),
                   duplicate_of_archive=bool(d["duplicate_of_archive"]))


def evidence_to_json(e: Evidence) -> dict:
    return {"message_id": e.message_id, "quote": e.quote}


def evidence_from_json(d: dict) -> Evidence:
    return Evidence(message_id=d["message_id"], quote=d["quote"])


def reply_target_to_json(t: ReplyTarget | None) -> dict | None:
    return None if t is None else {"message_id": t.message_id, "author": t.author, "quote": t.quote}


def reply_target_from_json(d: dict | None) -> ReplyTarget | None:
    return None if d is None else ReplyTarget(message_id=d["message_id"], author=d["author"], quote=d["quote"])


def claim_to_json(c: Claim) -> dict:
    """A claim as stored: the author and the replied-to author are person ids (claims_json
    is the `claims --json` contract, with names)."""
    return {"claim_id": c.claim_id, "message_id": c.message_id, "author": c.author, "text": c.text,
            "type": c.type, "cites": list(c.cites), "responds_to": reply_target_to_json(c.responds_to),
            "relation": c.relation}


def claim_from_json(d: dict) -> Claim:
    return Claim(claim_id=d["claim_id"], message_id=d["message_id"], author=d["author"], text=d["text"],
                 type=d["type"], cites=tuple(d["cites"]), responds_to=reply_target_from_json(d["responds_to"]),
                 relation=d["relation"])


def _person_to_json(p: Person) -> dict:
    return {"person_id": p.person_id, "name": p.name, "addresses": list(p.addresses)}


def _segment_to_json(s: Segment) -> list:
    # segments are the bulk of a document: a row, in field order
    return [s.message_id, s.index, s.kind, s.text, s.depth, s.quoted_person, s.quoted_message_id]


def _pair_to_json(p: ReplyPair) -> dict:
    return {"message_id": p.message_id, "author": p.author, "new_text": p.new_text,
            "target": reply_target_to_json(p.target), "relation": p.relation}


def _stance_to_json(s: MessageStance) -> dict:
    return {"message_id": s.message_id, "author": s.author, "stance": s.stance, "confidence": s.confidence,
            "evidence": [evidence_to_json(e) for e in s.evidence]}


def _position_to_json(p: Position) -> dict:
    return {"person_id": p.person_id, "name": p.name, "addresses": list(p.addresses), "messages": p.messages,
            "stance": p.stance, "confidence": p.confidence, "evidence": [evidence_to_json(e) for e in p.evidence]}


def analysis_to_json(a: ThreadAnalysis, messages: str = "inline") -> dict:
    """The whole ThreadAnalysis as one JSON document. messages="inline": every Message with
    its raw bytes (base64); "ids": only their Message-IDs, for a store that holds the messages
    (analysis_from_json is then given them)."""
    if messages not in ("inline", "ids"):
        raise ValueError(messages)
    return {
        "format": ANALYSIS_FORMAT, "version": ANALYSIS_VERSION,
        "tree": {"root_id": a.tree.root_id, "parent_of": a.tree.parent_of, "order": list(a.tree.order)},
        "subject": a.subject, "proposal": a.proposal,
        "messages": ([message_to_json(m) for m in a.messages] if messages == "inline" else None),
        "message_ids": [m.message_id for m in a.messages],
        "people": [_person_to_json(p) for p in a.people],
        "author_of": a.author_of,
        "segments": [_segment_to_json(s) for s in a.segments],
        "reply_pairs": [_pair_to_json(p) for p in a.reply_pairs],
        "claims": [claim_to_json(c) for c in a.claims],
        "message_stances": [_stance_to_json(s) for s in a.message_stances],
        "positions": [_position_to_json(p) for p in a.positions],
        "extra": a.extra,
    }


def analysis_from_json(doc: dict, messages=None) -> ThreadAnalysis:
    """The ThreadAnalysis of analysis_to_json. messages: a mapping Message-ID -> Message for a
    document made with messages="ids" (a Message-ID missing from it is a KeyError)."""
    d = _check(doc, ANALYSIS_FORMAT, ANALYSIS_VERSION)
    if d["messages"] is not None:
        msgs = tuple(message_from_json(m) for m in d["messages"])
    else:
        if messages is None:
            raise FormatError("the document names its messages by Message-ID; pass them")
        msgs = tuple(messages[mid] for mid in d["message_ids"])
    t = d["tree"]
    return ThreadAnalysis(
        tree=ThreadTree(root_id=t["root_id"], parent_of=dict(t["parent_of"]), order=tuple(t["order"])),
        subject=d["subject"], proposal=d["proposal"], messages=msgs,
        people=tuple(Person(person_id=p["person_id"], name=p["name"], addresses=tuple(p["addresses"]))
                     for p in d["people"]),
        author_of=dict(d["author_of"]),
        segments=tuple(Segment(message_id=s[0], index=s[1], kind=s[2], text=s[3], depth=s[4], quoted_person=s[5],
                               quoted_message_id=s[6]) for s in d["segments"]),
        reply_pairs=tuple(ReplyPair(message_id=p["message_id"], author=p["author"], new_text=p["new_text"],
                                    target=reply_target_from_json(p["target"]), relation=p["relation"])
                          for p in d["reply_pairs"]),
        claims=tuple(claim_from_json(c) for c in d["claims"]),
        message_stances=tuple(MessageStance(message_id=s["message_id"], author=s["author"], stance=s["stance"],
                                            confidence=s["confidence"],
                                            evidence=tuple(evidence_from_json(e) for e in s["evidence"]))
                              for s in d["message_stances"]),
        positions=tuple(Position(person_id=p["person_id"], name=p["name"], addresses=tuple(p["addresses"]),
                                 messages=p["messages"], stance=p["stance"], confidence=p["confidence"],
                                 evidence=tuple(evidence_from_json(e) for e in p["evidence"]))
                        for p in d["positions"]),
        extra=dict(d["extra"]),
    )


def posting_to_json(x) -> list:
    """One analysis.debate.Posting as a list (in the postings document, and a row of the store's
    postings tables, hookdebate.store_debate)."""
    return [x.root, x.subject, x.title, x.author, x.author_name, date_to_json(x.date), x.version,
            x.resend, x.kind, x.message_ids, [[n, t] for n, t in x.parts.items()],
            [[n, m] for n, m in x.part_ids.items()]]


def posting_from_json(row: list):
    from analysis.debate import Posting

    root, subject, title, author, author_name, ts, version, resend, kind, ids, parts, part_ids = row
    return Posting(root=root, subject=subject, title=title, author=author, author_name=author_name,
                   date=date_from_json(ts), version=version, resend=resend,
                   kind=kind, message_ids=list(ids), parts={n: t for n, t in parts},
                   part_ids={n: m for n, m in part_ids})


def postings_to_json(p) -> dict:
    """analysis.debate.Postings as one document: the headers, the reply parents, each posting,
    and the postings' indexes by root."""
    return {
        "format": POSTINGS_FORMAT, "version": POSTINGS_VERSION,
        "heads": p._heads, "end": date_to_json(p.end), "parent_of": p.parent_of, "unit_of": p.unit_of,
        "postings": [posting_to_json(x) for x in p.postings.values()],
        "by_author": {k: [x.root for x in v] for k, v in p.by_author.items()},
        "by_title": {k: [x.root for x in v] for k, v in p.by_title.items()},
        "by_patch_title": {k: [x.root for x in v] for k, v in p.by_patch_title.items()},
    }


def postings_from_json(doc: dict):
    from collections import defaultdict

    from analysis.debate import Postings

    d = _check(doc, POSTINGS_FORMAT, POSTINGS_VERSION)
    p = Postings.__new__(Postings)
    p._heads = {k: tuple(v) for k, v in d["heads"].items()}
    p.end = date_from_json(d["end"])
    p.parent_of = dict(d["parent_of"])
    p.unit_of = dict(d["unit_of"])
    p.postings = {}
    for row in d["postings"]:
        post = posting_from_json(row)
        p.postings[post.root] = post
    for name in ("by_author", "by_title", "by_patch_title"):
        index = defaultdict(list)
        for k, roots in d[name].items():
            index[k] = [p.postings[r] for r in roots]
        setattr(p, name, index)
    return p
