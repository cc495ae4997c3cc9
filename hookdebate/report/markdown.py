"""Markdown rendering of the report dict: the layout of each section of the section plan
(sections.py), which decides the order, the titles and what each section shows."""
from __future__ import annotations

from hookdebate.report import mdsafe
from hookdebate.report.data import STANCE_WORDS, date_span, is_bot, plural, verdict_word
from hookdebate.report.sections import (FIT_NOTE, layout_table, more_line, part_label, plan, utc_minute,
                                        variant_diff_sentence, verdict_reason)

LAYOUT, layout = layout_table()   # section key -> its Markdown lines


def _md(text: str) -> str:
    """Mail text inside Markdown: one line, inert (no link, image, HTML or table break; mdsafe)."""
    return mdsafe.text(text)


@layout("head")
def _head(r: dict) -> list[str]:
    span = date_span(r["date_range"])
    dest = mdsafe.url(r["thread_url"])
    return [f"# {_md(r['subject'])}", "",
            f"Thread: {f'<{dest}>' if dest else _md(r['thread_url'])} \u2014 {plural(r['messages'], 'message')}"
            + (f", {span}." if span else ".")]


@layout("debate")
def _debate(d: dict) -> list[str]:
    vs = d["versions"]
    return [f"Part of a debate of {d['threads']} threads" + (f" (versions v{vs[0]}..v{vs[-1]})" if vs else "")
            + f", outcome: {d['outcome']}; see `{d['command']}`."]


@layout("positions")
def _positions(participants: list[dict]) -> list[str]:
    L = ["| Participant | Messages | Stance | Confidence |", "|---|---|---|---|"]
    for p in participants:
        if is_bot(p):
            L.append(f"| {_md(p['name'])} (automated) | {p['messages']} | \u2014 | \u2014 |")
        else:
            L.append(f"| {_md(p['name'])} | {p['messages']} | {p['stance']} | {p['confidence']:.2f} |")
    L.append("")
    for p in participants:
        if is_bot(p):
            L.append(f"- **{_md(p['name'])}** is automated mail ({plural(p['messages'], 'message')}); it takes no position.")
            continue
        L.append(f"- **{_md(p['name'])}** {STANCE_WORDS.get(p['stance'], p['stance'])} the proposal."
                 + ("" if p["evidence"] else " (No quotable sentence.)"))
        for e in p["evidence"]:
            L.append(f"  - \u201c{_md(e['quote'])}\u201d ({mdsafe.link('message', e['url'])})")
    return L


@layout("timeline")
def _timeline(rows: list[dict]) -> list[str]:
    L = []
    for row in rows:
        t = row["first"]
        if row["parts"]:
            links = ", ".join(mdsafe.link(_md(part_label(x)), x["url"]) for x in row["parts"])
            L.append(f"- {_md(utc_minute(t['date']))} **{_md(t['author'])}** ({t['stance']}): posted "
                     f"{len(row['parts'])} patches of the series: {links}")
        else:
            L.append(f"- {_md(utc_minute(t['date']))} **{_md(t['author'])}** ({t['stance']}): "
                     + mdsafe.link(_md(row["text"]), t["url"]))
    return L


def _trace(v: dict, tid: str | None, again: bool) -> list[str]:
    """The replay line and its trace; a trace already shown (same kernel, same steps) is referred to
    by its label instead of printed again."""
    label = f"trace {tid}" + (", shown above" if again else "") + ": " if tid else ""
    out = [f"  - {label}replay `{v['scenario']}` under `{v['kernel']}` \u21d2 **{v['outcome']}**"
           f" (model {verdict_word(v['supports_claim'])} the claim: {_md(verdict_reason(v))})"]
    if again:
        return out
    for i, t in enumerate(v["trace"], 1):
        out.append(f"    {i}. {_md(t['check'])} \u2192 {_md(t['result'])}  _(models {_md(t['models'])})_")
    return out


@layout("claims")
def _claims(d: dict) -> list[str]:
    L = [_md(d["headline"]), ""] if d["headline"] is not None else []
    if not d["claims"]:
        L.append("None: no factual claim in this thread got a verdict (supports or contradicts) from the model.")
    for k in d["claims"]:
        c = k["claim"]
        L.append(f"- **{_md(c['author'])}** ({mdsafe.link('message', c['url'])}), {c['type']}: \u201c{_md(c['text'])}\u201d")
        if c["question"]:
            L.append(f"  - question the model answers: {_md(c['question'])}")
        if c.get("fit") in FIT_NOTE:
            L.append(f"  - _{FIT_NOTE[c['fit']]}_")
        if k["verdict"]:
            L += _trace(k["verdict"], c.get("trace_id"), k["again"])
    return L


@layout("scenarios")
def _scenarios(d: dict) -> list[str]:
    L = []
    for c in d["claims"]:
        v = c["verdicts"][0]
        L.append(f"- {_md(c['author'])}: \u201c{_md(c['text'])}\u201d \u2014 `{v['scenario']}` "
                 f"under `{v['kernel']}` \u21d2 **{v['outcome']}** (model {verdict_word(v['supports_claim'])}"
                 + (", stand-in scenario" if c.get("fit") == "general" else "") + ")")
    if d["more"]:
        L.append(f"- {more_line(d['more'])}")
    return L


@layout("cannot_judge")
def _cannot_judge(d: dict) -> list[str]:
    L = [f"- {plural(n, 'claim')}: {_md(reason)}" for reason, n in d["reasons"]]
    for c in d["unlinked"]:
        L.append(f"  - no scenario: {_md(c['author'])}, \u201c{_md(c['text'])}\u201d (cites {_md(', '.join(c['cites']))})")
    if d["more"]:
        L.append(f"  - {more_line(d['more'])}")
    return L


@layout("variant_diff")
def _variant_diff(d: dict) -> list[str]:
    if d.get("note"):
        return [_md(d["note"])]
    L = [_md(variant_diff_sentence(d)), "",
         "| Operation | Map/program types | Change | Configurations | When (minimal conditions) |",
         "|---|---|---|---|---|"]
    for g in d["groups"]:
        more = g["condition_sets"] - len(g["conditions"])
        when = "<br>".join(_md(c) for c in g["conditions"]) + (f"<br>\u2026 {more} more" if more > 0 else "")
        L.append(f"| `{g['operation']}` | {_md(', '.join(g['variants'])) or 'any'} | "
                 f"{g['from_outcome']} \u2192 **{g['to_outcome']}** ({g['direction']}) | {g['configurations']:,} | {when} |")
    return L


@layout("change_impact")
def _change_impact(d: dict) -> list[str]:
    ks = d["kernels"]
    L = ["Catalog scenarios whose outcome differs between variants:", "",
         "| Scenario | " + " | ".join(ks) + " |", "|---" * (len(ks) + 1) + "|"]
    for row in d["rows"]:
        L.append(f"| `{row['scenario']}` | " + " | ".join(row["outcomes"][k] for k in ks) + " |")
    return L




@layout("in_brief")
def _in_brief(text: str) -> list[str]:
    return ["**In brief.** " + _md(text)]


@layout("proposal")
def _proposal(text: str) -> list[str]:
    return [_md(text)]


@layout("outcome")
def _outcome(text: str) -> list[str]:
    return [_md(text)]


@layout("pictures")
def _pictures(pictures: dict) -> list[str]:
    return [mdsafe.picture(name, path) for name, path in pictures.items()]


def render_markdown(r: dict, pictures: dict | None = None, sections=None) -> str:
    """pictures: name -> path; sections: another plan than sections.SECTIONS (tests)."""
    L: list[str] = []
    for s, title, data in plan(r, pictures, sections):
        if title is not None:
            L += ["", f"## {title}", ""]
        elif L:
            L.append("")
        L += LAYOUT[s.key](data)
    return "\n".join(L + [""])
