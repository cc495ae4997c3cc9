"""Markdown rendering of the report dict."""
from __future__ import annotations

from hookdebate.report.data import STANCE_WORDS


def utc_minute(iso: str) -> str:
    """'2023-04-12T19:49:00+00:00' -> '2023-04-12 19:49 UTC'; a date that did not parse is shown raw."""
    return f"{iso[:16].replace('T', ' ')} UTC" if iso.endswith("+00:00") else iso


def _md(text: str) -> str:
    """Mail text inside Markdown: one line, no HTML, no table breaks."""
    t = " ".join(str(text).split())
    return t.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


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
            + ("(ret=N: a positive LSM return that reaches user space as the syscall's result.) "
               if any(g["to_outcome"].startswith("ret=") or g["from_outcome"].startswith("ret=") for g in d["groups"])
               else "") +
            "Each row lists the fewest settings that make the difference (the first few of its minimal condition sets).")


def _variant_diff(d) -> list[str]:
    if not d:
        return []
    title = (f"## What the proposal changes: {d['from']} \u2192 {d['to']}" if d.get("from")
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


def _trace(v: dict) -> list[str]:
    out = [f"  - replay `{v['scenario']}` under `{v['kernel']}` \u21d2 **{v['outcome']}**"
           f" (model {_verdict(v['supports_claim'])} the claim: {_md(v['reason'])})"]
    for i, t in enumerate(v["trace"], 1):
        out.append(f"    {i}. {_md(t['check'])} \u2192 {_md(t['result'])}  _(models {_md(t['models'])})_")
    return out


def _verdict(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


def render_markdown(r: dict, pictures: dict | None = None) -> str:
    L: list[str] = []
    L.append(f"# {_md(r['subject'])}")
    L.append("")
    L.append(f"Thread: <{r['thread_url']}> \u2014 {r['messages']} messages, "
             f"{r['date_range'][0][:10]} to {r['date_range'][1][:10]}." if r["date_range"] else "")
    L += ["", "**In brief.** " + _md(r["in_brief"])]
    L += ["", "## What was proposed", "", f"{_md(r['proposer'])} proposed: {_md(r['proposal'])}", ""]
    L += ["## Who argued what", "", "| Participant | Messages | Stance | Confidence |", "|---|---|---|---|"]
    for p in r["participants"]:
        L.append(f"| {_md(p['name'])} | {p['messages']} | {p['stance']} | {p['confidence']:.2f} |")
    L.append("")
    for p in r["participants"]:
        L.append(f"- **{_md(p['name'])}** {STANCE_WORDS.get(p['stance'], p['stance'])} the proposal.")
        for e in p["evidence"]:
            L.append(f"  - \u201c{_md(e['quote'])}\u201d ([message]({e['url']}))")
    L += ["", "## Timeline", ""]
    for t in r["timeline"]:
        L.append(f"- {utc_minute(t['date'])} **{_md(t['author'])}** ({t['stance']}): "
                 f"[{_md(t['subject'])}]({t['url']})")
    s = r["link_summary"]
    L += ["", "## Key claims, replayed in the kernel model", ""]
    if s:
        L.append(f"{s['semantic_claims']} of {s['claims']} claims cite kernel semantics; "
                 f"{s['with_verdict']} ({s['share_with_verdict']:.0%}) got a scenario and a verdict: "
                 f"the model supports {s['supports']}, contradicts {s['contradicts']}, "
                 f"cannot judge {s['cannot_judge']}. Kernel: {_md(r['kernel_note'])}.")
        L.append("")
    by_id = {c["id"]: c for c in r["claims"]}
    for cid in r["key_claim_ids"]:
        c = by_id[cid]
        L.append(f"- **{_md(c['author'])}** ([message]({c['url']})), {c['type']}: \u201c{_md(c['text'])}\u201d")
        if c["question"]:
            L.append(f"  - question the model answers: {_md(c['question'])}")
        for v in c["verdicts"][:1]:
            L += _trace(v)
    if r["explicit_scenario_claim_ids"]:
        L += ["", "## Scenarios participants raised", ""]
        for cid in r["explicit_scenario_claim_ids"]:
            c = by_id[cid]
            v = c["verdicts"][0]
            L.append(f"- {_md(c['author'])}: \u201c{_md(c['text'])}\u201d \u2014 `{v['scenario']}` "
                     f"under `{v['kernel']}` \u21d2 **{v['outcome']}** (model {_verdict(v['supports_claim'])})")
    if r["cannot_judge_reasons"]:
        L += ["", "## What the model cannot judge", ""]
        for reason, n in sorted(r["cannot_judge_reasons"].items(), key=lambda kv: -kv[1]):
            L.append(f"- {n} claims: {_md(reason)}")
        for cid in r.get("unlinked_claim_ids", []):
            c = by_id[cid]
            L.append(f"  - no scenario: {_md(c['author'])}, \u201c{_md(c['text'])}\u201d (cites {_md(', '.join(c['cites']))})")
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
            L.append(f"![{name}]({path})")
    L += ["", "## Outcome", "", _md(r["outcome"]), ""]
    return "\n".join(L)
