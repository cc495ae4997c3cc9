"""Markdown rendering of the report dict."""
from __future__ import annotations

from analysis.subjects import REPLY_OR_FORWARD_PREFIX, part_number, without_reply_prefix
from hookdebate.report import mdsafe
from hookdebate.report.data import STANCE_WORDS, date_span, is_bot, model_covers, parse_iso, plural, proposal_sentence

def _same_batch(a: dict, b: dict) -> bool:
    """Two patch mails sent in one go: git send-email posts a series over a minute or two (the
    embedded thread's 8/8 left a minute after 1/8-7/8)."""
    ta, tb = parse_iso(a["date"]), parse_iso(b["date"])
    if ta is None or tb is None:
        return a["date"][:16] == b["date"][:16]
    return abs((tb - ta).total_seconds()) <= 600


def timeline_rows(timeline: list[dict]) -> list[dict]:
    """The timeline with each batch of a patch series (one author, sent in one go, '[PATCH n/m]'
    with n >= 1) folded into one row: {"first": entry, "parts": [entries]}; other rows have
    parts == []."""
    rows: list[dict] = []
    for t in timeline:
        part = part_number(t["subject"])
        prev = rows[-1] if rows else None
        if part and prev and prev["parts"] and prev["first"]["author"] == t["author"] \
                and _same_batch(prev["parts"][-1], t):
            prev["parts"].append(t)
        elif part:
            rows.append({"first": t, "parts": [t]})
        else:
            rows.append({"first": t, "parts": []})
    for r in rows:  # a lone patch is an ordinary row
        if len(r["parts"]) == 1:
            r["parts"] = []
    return rows


def subject_text(t: dict, root_subject: str) -> str:
    """A reply's subject, or 'reply' when it only repeats the thread's (30 rows of 'Re: [PATCH v5
    0/4] ...' say nothing)."""
    subj = t["subject"] or ""
    same = without_reply_prefix(subj).strip().lower() == without_reply_prefix(root_subject).strip().lower()
    return "reply" if same and REPLY_OR_FORWARD_PREFIX.match(subj) else subj


def part_label(t: dict) -> str:
    n = part_number(t["subject"])
    return "?" if n is None else str(n)


def utc_minute(iso: str) -> str:
    """'2023-04-12T19:49:00+00:00' -> '2023-04-12 19:49 UTC'; a date that did not parse is shown raw."""
    return f"{iso[:16].replace('T', ' ')} UTC" if iso.endswith("+00:00") else iso


def _md(text: str) -> str:
    """Mail text inside Markdown: one line, inert (no link, image, HTML or table break; mdsafe)."""
    return mdsafe.text(text)


def variant_diff_sentence(d: dict) -> str:
    """The headline of the change-impact summary (shared by Markdown and HTML)."""
    by = d["by_direction"]
    return (f"Enumerating the model's bounded configuration space ({d['configurations']:,} configurations: "
            f"capabilities per namespace, the task's namespace, the sysctl, each LSM's return per hook, token "
            f"options, the operation), {d['changed']:,} ({d['share_changed']:.2%}) change outcome from "
            f"{d['from']} to {d['to']}: {by['newly allowed']:,} become allowed that were denied, "
            f"{by['newly denied']:,} become denied that were allowed"
            + (f", {by['changed']:,} change otherwise" if by.get("changed") else "")
            + f". Operations affected: {', '.join(d['operations'])}. "
            + ("(ret=N: a positive LSM return that reaches user space as the syscall's result; the command took its "
                "error path and freed the map or program, so ret=N counts as denied.) "
               if any(g["to_outcome"].startswith("ret=") or g["from_outcome"].startswith("ret=") for g in d["groups"])
               else "") +
            "Each row lists the fewest settings that make the difference (the first few of its minimal condition sets).")


def _variant_diff(d) -> list[str]:
    if not d:
        return []
    title = (f"## What the proposal changes: {d['from']} \u2192 {d['to']}" if d.get("from") and d.get("to")
             else "## What the proposal changes")
    L = ["", title, ""]
    if d.get("note"):
        return L + [_md(d["note"])]
    L += [_md(variant_diff_sentence(d)), "",
          "| Operation | Map/program types | Change | Configurations | When (minimal conditions) |",
          "|---|---|---|---|---|"]
    for g in d["groups"]:
        more = g["condition_sets"] - len(g["conditions"])
        when = "<br>".join(_md(c) for c in g["conditions"]) + (f"<br>\u2026 {more} more" if more > 0 else "")
        L.append(f"| `{g['operation']}` | {_md(', '.join(g['variants'])) or 'any'} | "
                 f"{g['from_outcome']} \u2192 **{g['to_outcome']}** ({g['direction']}) | {g['configurations']:,} | {when} |")
    return L


def verdict_reason(v: dict) -> str:
    """The verdict's reason without the replay it restates ('...; model: S under K: EPERM'), which
    the line already shows."""
    what = f"{v['scenario']} under {v['kernel']}: {v['outcome']}"
    r = v["reason"]
    for tail in (f"; model: {what}", f"; replayed for context ({what})", f"; replayed {what}", f" ({what})"):
        r = r.replace(tail, "")
    return r


def _trace(v: dict, tid: str | None = None, shown: set | None = None) -> list[str]:
    """The replay line and its trace; a trace already shown (same kernel, same steps) is referred to
    by its label instead of printed again."""
    again = tid is not None and shown is not None and tid in shown
    label = f"trace {tid}" + (", shown above" if again else "") + ": " if tid else ""
    out = [f"  - {label}replay `{v['scenario']}` under `{v['kernel']}` \u21d2 **{v['outcome']}**"
           f" (model {_verdict(v['supports_claim'])} the claim: {_md(verdict_reason(v))})"]
    if again:
        return out
    if tid is not None and shown is not None:
        shown.add(tid)
    for i, t in enumerate(v["trace"], 1):
        out.append(f"    {i}. {_md(t['check'])} \u2192 {_md(t['result'])}  _(models {_md(t['models'])})_")
    return out


def _verdict(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


LIST_CAP = 12  # rows of a claim list shown in Markdown/HTML; the JSON report has them all


def capped(ids: list, claims_by_id: dict, direct_first: bool = False) -> tuple[list, int]:
    """The first LIST_CAP ids (those whose replay is about the claim's own operation first, when
    asked), in thread order, and how many were left out."""
    if direct_first:
        keep = sorted(ids, key=lambda i: claims_by_id[i].get("fit") != "direct")[:LIST_CAP]
        keep = [i for i in ids if i in set(keep)]
    else:
        keep = ids[:LIST_CAP]
    return keep, len(ids) - len(keep)


def more_line(n: int) -> str:
    return f"\u2026 and {n:,} more (all of them are in the JSON report, `--format json`)." if n else ""


FIT_NOTE = {"general": "the claim names no operation the model replays: this replay answers the question above with a "
                       "stand-in scenario, not the claim's own situation"}


def findings_sentence(r: dict) -> str:
    """The key-claims headline (shared by Markdown and HTML)."""
    s, f = r["link_summary"], r.get("findings") or {}
    if not s:
        return ""
    if not s["semantic_claims"]:
        return (f"None of the thread's {plural(s['claims'], 'claim')} names a kernel security notion the model "
                f"covers ({model_covers()}), so no claim gets a verdict.")
    if not r.get("kernel"):
        return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} cite kernel semantics, but the model "
                f"cannot judge any: {r['kernel_note']}.")
    if not f.get("on_topic", True):
        return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} name kernel security notions, but none "
                f"is about what the model replays ({model_covers()}), so no claim gets a verdict.")
    n = f.get("direct", f.get("replayed", s["with_verdict"]))
    stand_in = f.get("stand_in", 0)
    return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} cite kernel semantics; "
            f"{n:,} {'was' if n == 1 else 'were'} replayed in a scenario of the operation {'it names' if n == 1 else 'they name'}: "
            f"the model supports {f.get('supports', s['supports'])}, contradicts "
            f"{f.get('contradicts', s['contradicts'])}, and cannot judge the rest."
            + (f" {plural(stand_in, 'more claim')} named no operation the model replays; "
               f"{'its' if stand_in == 1 else 'their'} stand-in replays are shown for context and are never findings."
               if stand_in else "")
            + (f" {plural(f['unrelated'], 'more claim')} matched only a stand-in scenario about an operation the "
               "thread does not discuss; those verdicts are set aside." if f.get("unrelated") else "")
            + f" Kernel: {r['kernel_note']}.")


def render_markdown(r: dict, pictures: dict | None = None) -> str:
    L: list[str] = []
    L.append(f"# {_md(r['subject'])}")
    L.append("")
    span = date_span(r["date_range"])
    dest = mdsafe.url(r["thread_url"])
    L.append(f"Thread: {f'<{dest}>' if dest else _md(r['thread_url'])} \u2014 {plural(r['messages'], 'message')}"
             + (f", {span}." if span else "."))
    if r.get("debate"):
        d = r["debate"]
        vs = d["versions"]
        L += ["", f"Part of a debate of {d['threads']} threads" + (f" (versions v{vs[0]}..v{vs[-1]})" if vs else "")
              + f", outcome: {d['outcome']}; see `{d['command']}`."]
    L += ["", "**In brief.** " + _md(r["in_brief"])]
    L += ["", "## What was proposed", "", _md(proposal_sentence(r)), ""]
    L += ["## Who argued what", "", "| Participant | Messages | Stance | Confidence |", "|---|---|---|---|"]
    for p in r["participants"]:
        if is_bot(p):
            L.append(f"| {_md(p['name'])} (automated) | {p['messages']} | \u2014 | \u2014 |")
        else:
            L.append(f"| {_md(p['name'])} | {p['messages']} | {p['stance']} | {p['confidence']:.2f} |")
    L.append("")
    for p in r["participants"]:
        if is_bot(p):
            L.append(f"- **{_md(p['name'])}** is automated mail ({plural(p['messages'], 'message')}); it takes no position.")
            continue
        L.append(f"- **{_md(p['name'])}** {STANCE_WORDS.get(p['stance'], p['stance'])} the proposal."
                 + ("" if p["evidence"] else " (No quotable sentence.)"))
        for e in p["evidence"]:
            L.append(f"  - \u201c{_md(e['quote'])}\u201d ({mdsafe.link('message', e['url'])})")
    L += ["", "## Timeline", ""]
    for row in timeline_rows(r["timeline"]):
        t = row["first"]
        if row["parts"]:
            links = ", ".join(mdsafe.link(_md(part_label(x)), x["url"]) for x in row["parts"])
            L.append(f"- {_md(utc_minute(t['date']))} **{_md(t['author'])}** ({t['stance']}): posted "
                     f"{len(row['parts'])} patches of the series: {links}")
        else:
            L.append(f"- {_md(utc_minute(t['date']))} **{_md(t['author'])}** ({t['stance']}): "
                     + mdsafe.link(_md(subject_text(t, r["subject"])), t["url"]))
    L += ["", "## Key claims, replayed in the kernel model", ""]
    if r["link_summary"]:
        L += [_md(findings_sentence(r)), ""]
    by_id = {c["id"]: c for c in r["claims"]}
    shown_traces: set = set()
    if not r["key_claim_ids"]:
        L.append("None: no factual claim in this thread got a verdict (supports or contradicts) from the model.")
    for cid in r["key_claim_ids"]:
        c = by_id[cid]
        L.append(f"- **{_md(c['author'])}** ({mdsafe.link('message', c['url'])}), {c['type']}: \u201c{_md(c['text'])}\u201d")
        if c["question"]:
            L.append(f"  - question the model answers: {_md(c['question'])}")
        if c.get("fit") in FIT_NOTE:
            L.append(f"  - _{FIT_NOTE[c['fit']]}_")
        for v in c["verdicts"][:1]:
            L += _trace(v, c.get("trace_id"), shown_traces)
    if r["explicit_scenario_claim_ids"]:
        L += ["", "## Scenarios participants raised", ""]
        shown, more = capped(r["explicit_scenario_claim_ids"], by_id, direct_first=True)
        for cid in shown:
            c = by_id[cid]
            v = c["verdicts"][0]
            L.append(f"- {_md(c['author'])}: \u201c{_md(c['text'])}\u201d \u2014 `{v['scenario']}` "
                     f"under `{v['kernel']}` \u21d2 **{v['outcome']}** (model {_verdict(v['supports_claim'])}"
                     + (", stand-in scenario" if c.get("fit") == "general" else "") + ")")
        if more:
            L.append(f"- {more_line(more)}")
    if r["cannot_judge_reasons"]:
        L += ["", "## What the model cannot judge", ""]
        for reason, n in sorted(r["cannot_judge_reasons"].items(), key=lambda kv: -kv[1]):
            L.append(f"- {plural(n, 'claim')}: {_md(reason)}")
        shown, more = capped(r.get("unlinked_claim_ids", []), by_id)
        for cid in shown:
            c = by_id[cid]
            L.append(f"  - no scenario: {_md(c['author'])}, \u201c{_md(c['text'])}\u201d (cites {_md(', '.join(c['cites']))})")
        if more:
            L.append(f"  - {more_line(more)}")
    L += _variant_diff(r.get("variant_diff"))
    if r["change_impact"]:
        L += ["", "## Change impact between kernel variants", "",
              "Catalog scenarios whose outcome differs between variants:", ""]
        ks = list(r["change_impact"][0]["outcomes"])
        L.append("| Scenario | " + " | ".join(ks) + " |")
        L.append("|---" * (len(ks) + 1) + "|")
        for row in r["change_impact"]:
            L.append(f"| `{row['scenario']}` | " + " | ".join(row["outcomes"][k] for k in ks) + " |")
    if pictures:
        L += ["", "## Pictures", ""]
        for name, path in pictures.items():
            L.append(mdsafe.picture(name, path))
    L += ["", "## Outcome", "", _md(r["outcome"]), ""]
    return "\n".join(L)
