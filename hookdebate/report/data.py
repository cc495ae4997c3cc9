"""Gather a ThreadAnalysis and its linked verdicts into the report's dict."""
from __future__ import annotations

from collections import Counter
from datetime import timezone
from urllib.parse import quote

STANCE_WORDS = {"support": "supports", "oppose": "opposes", "mixed": "is mixed on", "neutral": "takes no side on"}


def lore_url(message_id: str) -> str:
    return f"https://lore.kernel.org/all/{quote(message_id, safe='@.+=-_~!$&*')}/"


def _verdict_word(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


def build(analysis, linked, impact=None, key_claims: int = 12, variant_diff=None) -> dict:
    """variant_diff: analysis.link.variant_diff() from the thread's current kernel to the proposal's
    variant, or {"note": why there is none}; None leaves the section out."""
    names = {p.person_id: p.name for p in analysis.people}
    msgs = {m.message_id: m for m in analysis.messages}
    root = msgs.get(analysis.tree.root_id)
    stance_of = {s.message_id: s.stance for s in analysis.message_stances}
    timeline = []
    for mid in sorted(msgs, key=lambda i: (msgs[i].date.timestamp() if msgs[i].date else 0, i)):
        m = msgs[mid]
        timeline.append({"message_id": mid, "url": lore_url(mid), "author": names.get(analysis.author_of.get(mid), m.from_name),
                         # UTC, the order the timeline is sorted in: local wall-clock times of
                         # authors in different zones would read out of order.
                         "date": m.date.astimezone(timezone.utc).isoformat() if m.date else m.date_raw,
                         "subject": m.subject,
                         "parent": analysis.tree.parent_of.get(mid), "stance": stance_of.get(mid, "neutral")})
    participants = []
    for p in analysis.positions:
        participants.append({"name": p.name, "addresses": list(p.addresses), "messages": p.messages,
                             "stance": p.stance, "confidence": p.confidence,
                             "evidence": [{"message_id": e.message_id, "url": lore_url(e.message_id), "quote": e.quote}
                                          for e in p.evidence]})
    claims = []
    for c in analysis.claims:
        link = linked.link(c.claim_id) if linked else None
        entry = {"id": c.claim_id, "message_id": c.message_id, "url": lore_url(c.message_id),
                 "author": names.get(c.author, c.author), "text": c.text, "type": c.type, "cites": list(c.cites),
                 "relation": c.relation,
                 "responds_to": ({"message_id": c.responds_to.message_id,
                                  "author": names.get(c.responds_to.author, c.responds_to.author),
                                  "quote": c.responds_to.quote} if c.responds_to else None),
                 "semantic": bool(link and link.semantic), "explicit_scenario": bool(link and link.explicit),
                 "kernel": link.kernel if link else None, "kernel_reason": link.kernel_reason if link else "",
                 "question": link.question if link else None, "predicts": link.predicts if link else None,
                 "unjudged_reason": link.unjudged_reason if link else None,
                 "verdicts": [v.to_json() for v in link.verdicts] if link else []}
        entry["verdict"] = _verdict_word(link.verdicts[0].supports_claim) if link and link.verdicts else None
        claims.append(entry)
    # key claims: judged ones (supports/contradicts) first, then explicit scenarios, spread over people
    judged = [c for c in claims if c["verdict"] in ("supports", "contradicts") and c["type"] == "factual"]
    per_author: Counter = Counter()
    key = []
    # contradicted claims first (the model disagrees with someone: the news), then the richest in concepts
    for c in sorted(judged, key=lambda c: (c["verdict"] != "contradicts", -len(c["cites"]), c["id"])):
        if per_author[c["author"]] >= max(3, key_claims // max(1, len(participants))):
            continue
        per_author[c["author"]] += 1
        key.append(c)
        if len(key) >= key_claims:
            break
    order = {c["id"]: i for i, c in enumerate(claims)}
    key.sort(key=lambda c: order[c["id"]])
    last = timeline[-1] if timeline else None
    summary = linked.summary() if linked else {}
    cannot = Counter()
    for c in claims:
        if c["semantic"] and c["verdict"] == "cannot judge":
            r = c["verdicts"][0]["reason"].split(";")[0].split(":")[0]
            cannot[r] += 1
        elif c["semantic"] and not c["verdicts"]:
            cannot[c["unjudged_reason"]] += 1
    return {
        "thread": analysis.tree.root_id, "thread_url": lore_url(analysis.tree.root_id),
        "subject": analysis.subject, "proposal": analysis.proposal,
        "proposer": names.get(analysis.author_of.get(analysis.tree.root_id), root.from_name if root else ""),
        "date_range": [timeline[0]["date"], last["date"]] if timeline else [],
        "messages": len(timeline), "participants": participants, "timeline": timeline,
        "claims": claims, "key_claim_ids": [c["id"] for c in key],
        "explicit_scenario_claim_ids": [c["id"] for c in claims if c["explicit_scenario"] and c["verdicts"]],
        "kernel": linked.kernel if linked else None, "kernel_note": linked.kernel_note if linked else "",
        "link_summary": summary, "cannot_judge_reasons": dict(cannot),
        "unlinked_claim_ids": [c["id"] for c in claims if c["semantic"] and not c["verdicts"]],
        "scenarios": {sid: {"source": src, "url": lore_url(src) if src else None, "scenario": body}
                      for sid, (src, body) in (linked.scenarios.items() if linked else ())},
        "change_impact": impact or [],
        "variant_diff": variant_diff,
        "outcome": _outcome(analysis, names, timeline),
        "in_brief": _in_brief(participants, names.get(analysis.author_of.get(analysis.tree.root_id), ""), summary),
    }


def _in_brief(participants, proposer, summary) -> str:
    """One paragraph: who stood where (by the stance analysis) and what the model found."""
    groups: dict[str, list[str]] = {}
    for p in participants:
        if p["name"] != proposer:
            groups.setdefault(p["stance"], []).append(p["name"])
    words = {"support": "backed it", "oppose": "opposed it", "mixed": "took a mixed position",
             "neutral": "took no side"}
    parts = [f"{', '.join(v)} {words.get(k, k)}" for k, v in sorted(groups.items(), key=lambda kv: list(words).index(kv[0]) if kv[0] in words else 9)]
    text = f"{proposer} made the proposal" + ("; " + "; ".join(parts) if parts else "") + "."
    if summary and summary.get("with_verdict"):
        text += (f" Of the {summary['semantic_claims']} claims about kernel behaviour, the permission model could "
                 f"replay {summary['with_verdict']}: it supports {summary['supports']}, contradicts "
                 f"{summary['contradicts']}, and cannot judge {summary['cannot_judge']} (claims about what should be, "
                 f"questions, hedged claims, and statements that name no allow/deny outcome).")
    return text


def _outcome(analysis, names, timeline) -> str:
    """Who had the last word and what the proposer said last: stated, not guessed."""
    if not timeline:
        return ""
    proposer = analysis.author_of.get(analysis.tree.root_id)
    last_prop = [t for t in timeline if analysis.author_of.get(t["message_id"]) == proposer and t["message_id"] != analysis.tree.root_id]
    parts = [f"The thread ran {len(timeline)} messages from {timeline[0]['date'][:10]} to {timeline[-1]['date'][:10]}."]
    if last_prop:
        lp = last_prop[-1]
        cl = [c for c in analysis.claims if c.message_id == lp["message_id"]]
        if cl:
            parts.append(f"The proposer's last message ({lp['date'][:10]}) says: \u201c{cl[0].text}\u201d"
                         + (f" \u2026 \u201c{cl[-1].text}\u201d" if len(cl) > 1 else ""))
    last = timeline[-1]
    lc = [c for c in analysis.claims if c.message_id == last["message_id"]]
    if lc:
        parts.append(f"The last word went to {last['author']}: \u201c{lc[-1].text}\u201d")
    else:
        parts.append(f"The last message is from {last['author']}.")
    return " ".join(parts)
