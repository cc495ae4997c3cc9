"""One self-contained HTML file. Every piece of mail text goes through html.escape,
so markup or script in a message stays inert; pictures are inlined (SVG as a
base64 data URI, so even SVG text cannot inject markup)."""
from __future__ import annotations

import base64
import html

from hookdebate.report.data import date_span, is_bot, plural, proposal_sentence
from hookdebate.report.markdown import (FIT_NOTE, capped, findings_sentence, more_line, part_label, subject_text,
                                        timeline_rows, utc_minute, variant_diff_sentence, verdict_reason)

CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
.supports{color:#1a7f37}.contradicts{color:#b42318}.cannot{color:#666}
.trace{font-family:monospace;font-size:.85em;color:#444}blockquote{margin:.3em 1em;color:#444}
img.pic{max-width:100%;border:1px solid #ddd}"""


def e(x) -> str:
    return html.escape(" ".join(str(x).split()), quote=True)


def _cls(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot"


def _word(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


def render_html(r: dict, pictures: dict | None = None) -> str:
    H: list[str] = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
                    f"<title>{e(r['subject'])}</title><style>{CSS}</style></head><body>"]
    H.append(f"<h1>{e(r['subject'])}</h1>")
    span = date_span(r["date_range"])
    H.append(f"<p>Thread <a href=\"{e(r['thread_url'])}\">{e(r['thread'])}</a>: {e(plural(r['messages'], 'message'))}"
             + (f", {e(span)}" if span else "") + ".</p>")
    if r.get("debate"):
        d = r["debate"]
        vs = d["versions"]
        H.append(f"<p id=\"debate\">Part of a debate of {d['threads']} threads"
                 + (f" (versions v{vs[0]}..v{vs[-1]})" if vs else "")
                 + f", outcome: {e(d['outcome'])}; see <code>{e(d['command'])}</code>.</p>")
    H.append(f"<p id=\"in-brief\"><b>In brief.</b> {e(r['in_brief'])}</p>")
    H.append(f"<h2>What was proposed</h2><p id=\"proposal\">{e(proposal_sentence(r))}</p>")
    H.append("<h2>Who argued what</h2><table id=\"positions\"><thead><tr><th>Participant</th><th>Messages</th>"
             "<th>Stance</th><th>Evidence</th></tr></thead><tbody>")
    for p in r["participants"]:
        ev = "".join(f"<blockquote>\u201c{e(x['quote'])}\u201d <a href=\"{e(x['url'])}\">message</a></blockquote>"
                     for x in p["evidence"])
        bot = " (automated)" if is_bot(p) else ""
        if bot:
            ev = "<i>automated mail; it takes no position</i>"
        stance = "\u2014" if bot else f"{e(p['stance'])} ({p['confidence']:.2f})"
        H.append(f"<tr><td>{e(p['name'] + bot)}</td><td>{p['messages']}</td><td>{stance}</td><td>{ev}</td></tr>")
    H.append("</tbody></table>")
    # a list of rows, not numbered: a series' patches share a row (and the timeline picture has id="timeline")
    H.append("<h2>Timeline</h2><ul id=\"timeline-list\">")
    for row in timeline_rows(r["timeline"]):
        t = row["first"]
        if row["parts"]:
            links = ", ".join(f"<a href=\"{e(x['url'])}\">{e(part_label(x))}</a>" for x in row["parts"])
            H.append(f"<li>{e(utc_minute(t['date']))} <b>{e(t['author'])}</b> ({e(t['stance'])}): posted "
                     f"{len(row['parts'])} patches of the series: {links}</li>")
        else:
            H.append(f"<li>{e(utc_minute(t['date']))} <b>{e(t['author'])}</b> ({e(t['stance'])}): "
                     f"<a href=\"{e(t['url'])}\">{e(subject_text(t, r['subject']))}</a></li>")
    H.append("</ul>")
    s = r["link_summary"]
    H.append("<h2>Key claims, replayed in the kernel model</h2>")
    if s:
        H.append(f"<p>{e(findings_sentence(r))}</p>")
    by_id = {c["id"]: c for c in r["claims"]}
    shown_traces: set = set()
    H.append("<div id=\"claims\">")
    if not r["key_claim_ids"]:
        H.append("<p>None: no factual claim in this thread got a verdict (supports or contradicts) from the model.</p>")
    for cid in r["key_claim_ids"]:
        c = by_id[cid]
        H.append(f"<div class=\"claim\"><p><b>{e(c['author'])}</b> (<a href=\"{e(c['url'])}\">message</a>, "
                 f"{e(c['type'])}): \u201c{e(c['text'])}\u201d</p>")
        if c["question"]:
            H.append(f"<p>Question the model answers: {e(c['question'])}</p>")
        if c.get("fit") in FIT_NOTE:
            H.append(f"<p class=\"cannot\"><i>{e(FIT_NOTE[c['fit']])}</i></p>")
        for v in c["verdicts"][:1]:
            tid = c.get("trace_id")
            again = tid in shown_traces
            label = (f"Trace <a href=\"#trace-{e(tid)}\">{e(tid)}</a>" + (" (shown above)" if again else "") + ": "
                     if tid else "")
            H.append(f"<p class=\"{_cls(v['supports_claim'])}\">{label}Replay <code>{e(v['scenario'])}</code> under "
                     f"<code>{e(v['kernel'])}</code> \u21d2 <b>{e(v['outcome'])}</b>: the model "
                     f"{_word(v['supports_claim'])} the claim ({e(verdict_reason(v))})</p>")
            if again:
                continue
            shown_traces.add(tid)
            anchor = f' id="trace-{e(tid)}"' if tid else ""
            H.append(f"<ol class=\"trace\"{anchor}>")
            for t in v["trace"]:
                H.append(f"<li>{e(t['check'])} \u2192 {e(t['result'])} <i>(models {e(t['models'])})</i></li>")
            H.append("</ol>")
        H.append("</div>")
    H.append("</div>")
    if r["explicit_scenario_claim_ids"]:
        H.append("<h2>Scenarios participants raised</h2><ul id=\"scenarios\">")
        shown, more = capped(r["explicit_scenario_claim_ids"], by_id, direct_first=True)
        for cid in shown:
            c = by_id[cid]
            v = c["verdicts"][0]
            H.append(f"<li>{e(c['author'])}: \u201c{e(c['text'])}\u201d \u2014 <code>{e(v['scenario'])}</code> under "
                     f"<code>{e(v['kernel'])}</code> \u21d2 <b>{e(v['outcome'])}</b> "
                     f"(<span class=\"{_cls(v['supports_claim'])}\">model {_word(v['supports_claim'])}</span>"
                     + (", stand-in scenario" if c.get("fit") == "general" else "") + ")</li>")
        if more:
            H.append(f"<li>{e(more_line(more))}</li>")
        H.append("</ul>")
    if r["cannot_judge_reasons"]:
        H.append("<h2>What the model cannot judge</h2><ul>")
        for reason, n in sorted(r["cannot_judge_reasons"].items(), key=lambda kv: -kv[1]):
            H.append(f"<li>{e(plural(n, 'claim'))}: {e(reason)}</li>")
        shown, more = capped(r.get("unlinked_claim_ids", []), by_id)
        for cid in shown:
            c = by_id[cid]
            H.append(f"<li>no scenario: {e(c['author'])}, \u201c{e(c['text'])}\u201d (cites {e(', '.join(c['cites']))})</li>")
        if more:
            H.append(f"<li>{e(more_line(more))}</li>")
        H.append("</ul>")
    d = r.get("variant_diff")
    if d:
        head = f"What the proposal changes: {d['from']} \u2192 {d['to']}" if d.get("from") and d.get("to") else "What the proposal changes"
        H.append(f"<h2>{e(head)}</h2><div id=\"variant-diff\">")
        if d.get("note"):
            H.append(f"<p>{e(d['note'])}</p>")
        else:
            H.append(f"<p>{e(variant_diff_sentence(d))}</p><table><thead><tr><th>Operation</th><th>Map/program types</th>"
                     "<th>Change</th><th>Configurations</th><th>When (minimal conditions)</th></tr></thead><tbody>")
            for g in d["groups"]:
                more = g["condition_sets"] - len(g["conditions"])
                when = "<br>".join(e(c) for c in g["conditions"]) + (f"<br>\u2026 {more} more" if more > 0 else "")
                H.append(f"<tr><td><code>{e(g['operation'])}</code></td><td>{e(', '.join(g['variants'])) or 'any'}</td>"
                         f"<td>{e(g['from_outcome'])} \u2192 <b>{e(g['to_outcome'])}</b> ({e(g['direction'])})</td>"
                         f"<td>{g['configurations']:,}</td><td>{when}</td></tr>")
            H.append("</tbody></table>")
        H.append("</div>")
    if r["change_impact"]:
        ks = list(r["change_impact"][0]["outcomes"])
        H.append("<h2>Change impact between kernel variants</h2><table id=\"impact\"><tr><th>Scenario</th>"
                 + "".join(f"<th>{e(k)}</th>" for k in ks) + "</tr>")
        for row in r["change_impact"]:
            H.append(f"<tr><td title=\"{e(row['claim'])}\"><code>{e(row['scenario'])}</code></td>"
                     + "".join(f"<td>{e(row['outcomes'][k])}</td>" for k in ks) + "</tr>")
        H.append("</table>")
    if pictures:
        H.append("<h2>Pictures</h2>")
        for name, data in pictures.items():
            b64 = base64.b64encode(data).decode()
            H.append(f"<figure><img class=\"pic\" id=\"{e(name)}\" alt=\"{e(name)}\" "
                     f"src=\"data:image/svg+xml;base64,{b64}\"><figcaption>{e(name)}</figcaption></figure>")
    H.append(f"<h2>Outcome</h2><p id=\"outcome\">{e(r['outcome'])}</p>")
    H.append("</body></html>")
    return "\n".join(H) + "\n"
