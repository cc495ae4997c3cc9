"""Gather a ThreadAnalysis and its linked verdicts into the report's dict."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import quote

from analysis.findings import thread_findings, verdict_word  # noqa: F401 (verdict_word: the renderers')
from analysis.output import claim_json
from analysis.signals import mail_signals
from analysis.subjects import is_patch_posting, series_version, without_tags

STANCE_WORDS = {"support": "supports", "oppose": "opposes", "mixed": "is mixed on", "neutral": "takes no side on",
                "unclear": "could not be read with confidence on"}


def _proposer_name(analysis, names: dict, root) -> str:
    """Who proposed: the analysis's proposer (for a thread whose first stored message is a
    reply to a series, the series' author, who may not be in the thread)."""
    pid = analysis.extra.get("proposer") or analysis.author_of.get(analysis.tree.root_id)
    if pid in names:
        return names[pid]
    if isinstance(pid, str) and pid.startswith("absent:"):
        return pid.split(":", 1)[1]
    return bounded(display_name(root.from_name), NAME_MAX) if root else ""


def in_utc(d: datetime) -> datetime:
    """The date in UTC; in its own zone when UTC would be past year 9999 ('9999-12-31 23:59:59
    -2359'). A date without a zone is read as the machine's local time."""
    try:
        return d.astimezone(timezone.utc)
    except OverflowError:
        return d


def utc_iso(d: datetime | str) -> str:
    """A report date as ISO text (in UTC, see in_utc); a Date header the mail parser could not
    read, kept as its raw text, as it is. The report's dates stay datetimes until rendered."""
    return in_utc(d).isoformat() if isinstance(d, datetime) else d


def utc_day(d: datetime | str) -> str:
    """'2023-04-12' (a raw Date header: its first ten characters)."""
    return utc_iso(d)[:10]


def json_default(x):
    """json.dumps(report, default=json_default): a date as utc_iso() text."""
    if isinstance(x, datetime):
        return utc_iso(x)
    raise TypeError(f"{type(x).__name__} is not JSON serializable")


# Names and subjects longer than any real one (a 1 MB From name) are cut where the report lays
# them out: tables, lists, picture labels. Real ones are far shorter (the 2022 list's longest
# display name is 106 characters, its longest subject 456).
NAME_MAX = 200
SUBJECT_MAX = 1000


def bounded(text, limit: int):
    """text cut to limit characters (ending in '…') when longer; None and short text as they are."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1].rstrip() + "…"


def lore_url(message_id: str) -> str:
    return f"https://lore.kernel.org/all/{quote(message_id, safe='@.+=-_~!$&*')}/"


def _subjects() -> dict:
    """What the kernel model covers and the subject of each operation (data/link/rules.json)."""
    from analysis.link import load_rules

    return load_rules()["subjects"]


def model_covers() -> str:
    return _subjects()["covers"]


def is_bot(participant: dict) -> bool:
    """The kernel test robot, syzbot, the pull-request tracker...: automated mail, not a
    participant. The analysis marks them (senders listed in data/lexicon/cues.toml); a
    participant dict made elsewhere is checked against the same list."""
    if "automated" in participant:
        return bool(participant["automated"])
    from analysis.lexicon import is_automated_sender

    return any(is_automated_sender(participant["name"], a) for a in participant.get("addresses") or [""])


_LAST_FIRST = re.compile(r"^\s*([^,()]+?),\s*([^,()]+?)\s*(\([^)]*\))?\s*$")


def display_name(name: str) -> str:
    """'Schaufler, Casey' (corporate address books) -> 'Casey Schaufler': in a list of names
    ('A, B and C') the comma form reads as two people."""
    m = _LAST_FIRST.match(name or "")
    if not m or m.group(2).lower() in ("jr", "jr.", "sr", "sr.", "ii", "iii", "phd", "ph.d."):
        return name
    return f"{m.group(2)} {m.group(1)}" + (f" {m.group(3)}" if m.group(3) else "")


def join_names(xs) -> str:
    xs = list(xs)
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1] if xs else ""


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def build(analysis, linked, impact=None, key_claims: int = 12, variant_diff=None) -> dict:
    """variant_diff: analysis.impact.variant_diff() from the thread's current kernel to the proposal's
    variant, or {"note": why there is none}; None leaves the section out."""
    names = {p.person_id: bounded(display_name(p.name), NAME_MAX) for p in analysis.people}
    msgs = {m.message_id: m for m in analysis.messages}
    root = msgs.get(analysis.tree.root_id)
    stance_of = {s.message_id: s.stance for s in analysis.message_stances}
    timeline = []
    for mid in sorted(msgs, key=lambda i: (msgs[i].date.timestamp() if msgs[i].date else 0, i)):
        m = msgs[mid]
        timeline.append({"message_id": mid, "url": lore_url(mid), "author": names.get(analysis.author_of.get(mid), bounded(display_name(m.from_name), NAME_MAX)),
                         # UTC, the order the timeline is sorted in: local wall-clock times of
                         # authors in different zones would read out of order. A datetime, or the
                         # raw Date header the mail parser could not read ("" without one)
                         "date": in_utc(m.date) if m.date else (m.date_raw or ""),
                         "subject": bounded(m.subject, SUBJECT_MAX),
                         "parent": analysis.tree.parent_of.get(mid), "stance": stance_of.get(mid, "neutral")})
    participants = []
    automated = set(analysis.extra.get("automated", ()))
    for p in analysis.positions:
        participants.append({"name": bounded(display_name(p.name), NAME_MAX), "addresses": list(p.addresses),
                             "messages": p.messages,
                             "automated": p.person_id in automated,
                             "stance": p.stance, "confidence": p.confidence,
                             "evidence": [{"message_id": e.message_id, "url": lore_url(e.message_id), "quote": e.quote}
                                          for e in p.evidence]})
    found = thread_findings(analysis, linked)

    def name_of(pid):
        return names.get(pid, pid)

    claims = []
    for c in analysis.claims:
        link = linked.link(c.claim_id) if linked else None
        entry = claim_json(c, name_of, url=lore_url(c.message_id))
        entry.update({"semantic": bool(link and link.semantic), "explicit_scenario": bool(link and link.explicit),
                      "kernel": link.kernel if link else None, "kernel_reason": link.kernel_reason if link else "",
                      "question": link.question if link else None, "predicts": link.predicts if link else None,
                      "unjudged_reason": link.unjudged_reason if link else None,
                      "verdicts": [v.to_json() for v in link.verdicts] if link else []})
        entry["verdict"] = found.verdict[c.claim_id]
        entry["fit"] = found.fits.fit[c.claim_id]
        entry["finding"] = found.finding[c.claim_id]
        claims.append(entry)
    # key claims: judged ones (supports/contradicts) first, then explicit scenarios, spread over people
    judged = [c for c in claims if c["finding"] in ("supports", "contradicts") and c["type"] == "factual"]
    per_author: Counter = Counter()
    key = []
    # contradicted claims first (the model disagrees with someone: the news), then the richest in concepts
    for c in sorted(judged, key=lambda c: (c["fit"] != "direct", c["verdict"] != "contradicts", -len(c["cites"]), c["id"])):
        if per_author[c["author"]] >= max(3, key_claims // max(1, len(participants))):
            continue
        per_author[c["author"]] += 1
        key.append(c)
        if len(key) >= key_claims:
            break
    order = {c["id"]: i for i, c in enumerate(claims)}
    key.sort(key=lambda c: order[c["id"]])
    # each distinct trace is shown once (T1, T2, ...) and the claims replayed to the same one refer to it
    traces: dict = {}
    trace_of: dict = {}
    for c in key:
        v = c["verdicts"][0]
        body = json.dumps([v["kernel"], v["trace"]], sort_keys=True)
        if body not in trace_of:
            trace_of[body] = f"T{len(trace_of) + 1}"
            traces[trace_of[body]] = {"scenario": v["scenario"], "kernel": v["kernel"], "outcome": v["outcome"],
                                      "trace": v["trace"], "claim_ids": []}
        traces[trace_of[body]]["claim_ids"].append(c["id"])
        c["trace_id"] = trace_of[body]
    summary = linked.summary() if linked else {}
    report = {
        "thread": analysis.tree.root_id, "thread_url": lore_url(analysis.tree.root_id),
        "subject": bounded(analysis.subject, SUBJECT_MAX), "proposal": bounded(analysis.proposal, 2 * SUBJECT_MAX),
        "proposer": _proposer_name(analysis, names, root),
        "date_range": dated_range(timeline),
        "messages": len(timeline), "participants": participants, "timeline": timeline,
        "claims": claims, "key_claim_ids": [c["id"] for c in key], "traces": traces,
        "explicit_scenario_claim_ids": [c["id"] for c in claims if c["explicit_scenario"] and c["fit"] in ("direct", "general")],
        "findings": found.to_json(),
        "kernel": linked.kernel if linked else None, "kernel_note": linked.kernel_note if linked else "",
        "link_summary": summary, "cannot_judge_reasons": dict(found.cannot_judge),
        "unlinked_claim_ids": [c["id"] for c in claims if c["semantic"] and not c["verdicts"]],
        "scenarios": {sid: {"source": src, "url": lore_url(src) if src else None, "scenario": body}
                      for sid, (src, body) in (linked.scenarios.items() if linked else ())},
        # the catalog's outcomes across the variants and their diff, where they bear on the thread
        "change_impact": (impact or []) if found.variants_bear and (variant_diff is None or variant_diff.get("to")) else [],
        "variant_diff": variant_diff if found.variants_bear else None,
        "outcome": _outcome(analysis, names, timeline),
        "in_brief": None,
    }
    report["in_brief"] = _in_brief(participants, report["proposer"], report["findings"], bounded(analysis.subject or "", SUBJECT_MAX),
                                   len(timeline), posted_versions(timeline, report["proposer"]))
    return report


def proposal_sentence(r: dict) -> str:
    """'X proposed: <subject without [PATCH ...] tags>. The cover letter opens: "<its words>"' --
    instead of the subject and the mail run together ('... for 6.1?: I would like ...')."""
    prop, subj = r.get("proposal") or "", " ".join((r.get("subject") or "").split())
    if not subj or not prop.startswith(subj):
        return f"{r['proposer']} proposed: {prop}"
    body = prop[len(subj):].lstrip(":").strip()
    body = re.sub(r"^From:\s*[^<>]*<[^>]+>\s*", "", body)  # a patch's in-body From: line
    title = without_tags(subj).strip() or subj
    text = f"{r['proposer']} proposed: {title}" + ("" if title[-1:] in ".?!" else ".")
    if body:
        what = "cover letter" if re.search(r"\b0+/\d+\]", subj) else "message"
        text += f" The {what} opens: \u201c{body}\u201d"
    return text


def posted_versions(timeline: list[dict], proposer: str) -> list[int]:
    """The versions of the series the proposer posted in this thread ('[PATCH]' counts as 1)."""
    out = set()
    for t in timeline:
        subj = t["subject"] or ""
        if t["author"] == proposer and is_patch_posting(subj):
            out.add(series_version(subj) or 1)
    return sorted(out)


def _in_brief(participants, proposer, findings, subject="", messages=0, versions=()) -> str:
    """One paragraph: who stood where (by the stance analysis) and what the model found."""
    groups: dict[str, list[str]] = {}
    bots = []
    for p in participants:
        if is_bot(p):
            bots.append(p["name"])
        elif p["name"] != proposer:
            groups.setdefault(p["stance"], []).append(p["name"])
    words = {"support": "backed it", "oppose": "opposed it", "mixed": "took a mixed position",
             "neutral": "took no side", "unclear": "could not be read with confidence (shown as unclear)"}
    v = series_version(subject)
    what = f"version {v} of the proposal" if v and v > 1 else "the proposal"
    if len(versions) > 1:
        what = (f"versions {versions[0]} and {versions[1]} of the proposal" if len(versions) == 2 else
                f"{len(versions)} versions ({versions[0]} to {versions[-1]}) of the proposal")
    parts = [f"{join_names(v)} {words.get(k, k)}" for k, v in
             sorted(groups.items(), key=lambda kv: list(words).index(kv[0]) if kv[0] in words else 9)]
    if parts:
        text = f"{proposer} posted {what}; " + "; ".join(parts) + "."
        if "oppose" not in groups:
            text += " Nobody opposed it."
    else:
        text = (f"{proposer} posted {what}" + (f" ({plural(messages, 'message')})" if messages > 1 else "")
                + "; nobody else took part in this thread.")
    if bots:
        text += f" Automated mail from {join_names(bots)} is not counted as a position."
    f = findings
    if f["supports"] or f["contradicts"]:
        text += (f" The permission model replayed {plural(f['replayed'], 'claim')} about kernel behaviour: "
                 f"it supports {f['supports']} and contradicts {f['contradicts']}; the rest state no outcome "
                 "it can check (claims about what should be, questions, hedged claims, statements that name "
                 "no allow/deny outcome).")
    elif f["replayed"]:
        text += (f" The permission model replayed {plural(f['replayed'], 'claim')} about kernel behaviour but "
                 "could judge none of them (claims about what should be, questions, hedged claims, statements "
                 "that name no allow/deny outcome).")
    else:
        text += (f" The permission model covers {model_covers()}; no claim in this "
                 "thread is about those, so it offers no verdict here.")
    return text


def parse_iso(d: datetime | str | None) -> datetime | None:
    """A timeline date as a datetime: itself, or a raw Date header the mail parser could not read
    if it is ISO text; None for any other."""
    if isinstance(d, datetime):
        return d
    try:
        return datetime.fromisoformat(d) if d else None
    except ValueError:
        return None


def dated_range(timeline: list[dict]) -> list:
    """[first, last] date of the messages whose Date header the mail parser could read; []
    when none could be."""
    dated = [t["date"] for t in timeline if parse_iso(t["date"])]
    return [dated[0], dated[-1]] if dated else []


def date_span(ends: list) -> str:
    """dated_range() in words: 'from 2022-01-04 to 2022-02-01', 'on 2022-01-04' for a thread of
    one day, '' when no date could be read."""
    if not ends:
        return ""
    a, b = utc_day(ends[0]), utc_day(ends[1])
    return f"on {a}" if a == b else f"from {a} to {b}"


def _signals_sentence(signals) -> str:
    parts = []
    for kind, label in (("merged", "Merged or applied"), ("nack", "NACKed")):
        xs = [x for x in signals if x["kind"] == kind][-2:]
        if xs:
            said = "; ".join(f"{x['author']} ({utc_day(x['date'])}): \u201c{x['text']}\u201d" for x in xs)
            parts.append(f"{label}: {said}" + ("" if xs[-1]["text"][-1:] in ".!?\u2026" else "."))
    ack = [x for x in signals if x["kind"] == "ack"]
    if ack:
        parts.append(f"Acked or reviewed in the thread by: {join_names(ack[0]['names'])}.")
    carried = [x for x in signals if x["kind"] == "carried"]
    if carried:
        parts.append(f"The patches carry Acked-by/Reviewed-by tags (from earlier versions) from "
                     f"{join_names(carried[0]['names'])}.")
    return " ".join(parts)


def _outcome(analysis, names, timeline) -> str:
    """Who had the last word and what the proposer said last: stated, not guessed."""
    if not timeline:
        return ""
    root = analysis.tree.root_id
    proposer = analysis.author_of.get(root)
    only_proposer = all(analysis.author_of.get(t["message_id"]) == proposer for t in timeline)
    if len(timeline) == 1:
        when = f" ({utc_day(timeline[0]['date'])})" if parse_iso(timeline[0]["date"]) else ""
        parts = [f"The thread is a single message{when}; nobody replied."]
    else:
        span = date_span(dated_range(timeline))
        parts = [f"The thread ran {plural(len(timeline), 'message')}" + (f" {span}." if span else ".")]
        if only_proposer:
            parts.append("Nobody else replied in this thread.")
    last = timeline[-1]
    last_is_proposer = analysis.author_of.get(last["message_id"]) == proposer
    last_prop = [t for t in timeline if analysis.author_of.get(t["message_id"]) == proposer and t["message_id"] != root]
    if last_prop and not last_is_proposer:
        lp = last_prop[-1]
        cl = [c for c in analysis.claims if c.message_id == lp["message_id"]]
        if cl:
            parts.append(f"The proposer's last message ({utc_day(lp['date'])}) says: \u201c{cl[0].text}\u201d"
                         + (f" \u2026 \u201c{cl[-1].text}\u201d" if len(cl) > 1 else ""))
    lc = [c for c in analysis.claims if c.message_id == last["message_id"]]
    who = f"the proposer, {last['author']}" if last_is_proposer else last["author"]
    if last["message_id"] != root and not only_proposer:
        if lc:
            parts.append(f"The last word went to {who} ({utc_day(last['date'])}): \u201c{lc[-1].text}\u201d")
        else:
            parts.append(f"The last message is from {who} ({utc_day(last['date'])}).")
    sig = _signals_sentence(mail_signals(analysis, timeline))
    if sig:
        parts.append(sig)
    return " ".join(parts)
