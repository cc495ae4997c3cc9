"""Measure an analysis against a human annotation (tests/gold-*.json format).

Metrics:
  person_accuracy     per-person stance, gold participants matched by address
  message_accuracy    per-message stance accuracy; message_macro_f1 over the 4 stances
  cites_precision / cites_recall / cites_f1
                      micro-averaged over gold claims: each gold claim is matched to
                      the predicted claims of the same message whose text overlaps it;
                      their cites (union) are compared with the gold cites
  message_cites_*     the same per message: the concepts a message's claims cite (union)
                      against the union of its gold claims' cites (a coarser view)
  claim_recall        share of gold claims with at least one matched predicted claim
  reply_accuracy      among matched gold claims that respond to something: the predicted
                      claim responds to the same message (where the quote first appeared)
  relation_accuracy   among the same: attack/support/None equal to the gold's
  claim_type_accuracy among matched gold claims: factual/normative/proposal/question equal
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from analysis.model import STANCES, ThreadAnalysis

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9_]+")


def _norm(t: str) -> str:
    return _WS.sub(" ", t).strip()


def _overlap(pred: str, gold: str) -> bool:
    p, g = _norm(pred), _norm(gold)
    if len(p) >= 12 and (p in g or g in p):
        return True
    pw, gw = set(_WORD.findall(p.lower())), set(_WORD.findall(g.lower()))
    if not pw or not gw:
        return False
    return len(pw & gw) / len(pw | gw) >= 0.6


def macro_f1(gold: list[str], pred: list[str], labels=STANCES) -> float:
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s) if f1s else 0.0


def evaluate(a: ThreadAnalysis, gold: dict) -> dict:
    out: dict = {}
    # persons
    person_rows = []
    gold_pos = {p["name"]: p["stance"] for p in gold.get("overall_positions", [])}
    for gp in gold.get("participants", []):
        addrs = {x.lower() for x in gp["addresses"]}
        pred = next((p for p in a.positions if addrs & set(p.addresses)), None)
        person_rows.append((gp["name"], gold_pos.get(gp["name"]), pred.stance if pred else None,
                            len(addrs & set(pred.addresses)) == len(addrs) if pred else False))
    out["persons"] = person_rows
    out["person_accuracy"] = sum(1 for _, g, p, _m in person_rows if g == p) / max(1, len(person_rows))
    out["identity_accuracy"] = sum(1 for *_x, m in person_rows if m) / max(1, len(person_rows))
    # messages
    pred_stance = {s.message_id: s.stance for s in a.message_stances}
    gs, ps = [], []
    for gm in gold["messages"]:
        gs.append(gm["stance"])
        ps.append(pred_stance.get(gm["message_id"], "missing"))
    out["message_accuracy"] = sum(1 for g, p in zip(gs, ps) if g == p) / max(1, len(gs))
    out["message_macro_f1"] = macro_f1(gs, ps)
    out["message_confusion"] = Counter(zip(gs, ps))
    # claims
    claims_by_msg = defaultdict(list)
    for c in a.claims:
        claims_by_msg[c.message_id].append(c)
    tp = fp = fn = 0
    matched = total = 0
    reply_ok = reply_n = rel_ok = 0
    type_ok = type_n = 0
    per_concept = defaultdict(Counter)
    for gm in gold["messages"]:
        for gc in gm["claims"]:
            total += 1
            preds = [c for c in claims_by_msg.get(gm["message_id"], []) if _overlap(c.text, gc["text"])]
            gcites = set(gc["cites"])
            pcites = set(x for c in preds for x in c.cites)
            if preds:
                matched += 1
            tp += len(gcites & pcites)
            fp += len(pcites - gcites)
            fn += len(gcites - pcites)
            for x in gcites & pcites:
                per_concept[x]["tp"] += 1
            for x in pcites - gcites:
                per_concept[x]["fp"] += 1
            for x in gcites - pcites:
                per_concept[x]["fn"] += 1
            if preds:
                type_n += 1
                type_ok += preds[0].type == gc["type"]
            if preds and gc.get("responds_to"):
                reply_n += 1
                best = preds[0]
                if best.responds_to is not None and best.responds_to.message_id == gc["responds_to"]:
                    reply_ok += 1
                if best.relation == gc.get("attacks_or_supports"):
                    rel_ok += 1
    # coarser view: the set of concepts each message cites (union over its claims)
    mtp = mfp = mfn = 0
    for gm in gold["messages"]:
        g = {x for gc in gm["claims"] for x in gc["cites"]}
        p_ = {x for c in claims_by_msg.get(gm["message_id"], []) for x in c.cites}
        mtp, mfp, mfn = mtp + len(g & p_), mfp + len(p_ - g), mfn + len(g - p_)
    mp = mtp / (mtp + mfp) if mtp + mfp else 0.0
    mr = mtp / (mtp + mfn) if mtp + mfn else 0.0
    out.update(message_cites_precision=mp, message_cites_recall=mr,
               message_cites_f1=2 * mp * mr / (mp + mr) if mp + mr else 0.0)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    out.update(cites_precision=p, cites_recall=r, cites_f1=2 * p * r / (p + r) if p + r else 0.0,
               claim_recall=matched / max(1, total), reply_accuracy=reply_ok / max(1, reply_n),
               relation_accuracy=rel_ok / max(1, reply_n), claim_type_accuracy=type_ok / max(1, type_n), reply_pairs_scored=reply_n,
               per_concept=dict(per_concept))
    return out


def evaluate_positions(a: ThreadAnalysis, people: list[dict]) -> list[dict]:
    """Per-person rows of a held-out annotation (tests/data/holdout-stances.json format:
    each person with name, stance, message_id, optional score=false). The annotated
    person is whoever the analysis says wrote message_id, so no name matching is needed."""
    by_id = {p.person_id: p for p in a.positions}
    rows = []
    for gp in people:
        pid = a.author_of.get(gp["message_id"])
        pred = by_id.get(pid) if pid else None
        rows.append({"name": gp["name"], "gold": gp["stance"], "predicted": pred.stance if pred else "missing",
                     "scored": gp.get("score", True), "message_id": gp["message_id"],
                     "evidence": pred.evidence[0].quote if pred and pred.evidence else ""})
    return rows
