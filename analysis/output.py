"""DESIGN.md contracts: `positions --json` and `claims --json` shapes."""
from __future__ import annotations

from analysis.model import ThreadAnalysis


def positions_json(a: ThreadAnalysis) -> dict:
    return {
        "thread": a.tree.root_id,
        "proposal": a.proposal,
        "participants": [
            {"name": p.name, "addresses": list(p.addresses), "messages": p.messages, "stance": p.stance,
             "confidence": p.confidence,
             "evidence": [{"message_id": e.message_id, "quote": e.quote} for e in p.evidence]}
            for p in a.positions
        ],
        "messages": [
            {"message_id": s.message_id, "author": a.person(s.author).name, "stance": s.stance,
             "evidence": [{"message_id": e.message_id, "quote": e.quote} for e in s.evidence]}
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


def claims_json(a: ThreadAnalysis) -> list[dict]:
    out = []
    for c in a.claims:
        rt = None
        if c.responds_to is not None:
            rt = {"message_id": c.responds_to.message_id, "author": _author_name(a, c.responds_to.author),
                  "quote": c.responds_to.quote}
        out.append({"id": c.claim_id, "message_id": c.message_id, "author": _author_name(a, c.author),
                    "text": c.text, "type": c.type, "cites": list(c.cites), "responds_to": rt,
                    "relation": c.relation, "scenarios": [], "verdicts": []})
    return out
