"""One self-contained HTML file: the layout of each section of the section plan (sections.py),
which decides the order, the titles and what each section shows. Every piece of mail text goes
through html.escape, so markup or script in a message stays inert; pictures are inlined (SVG as a
base64 data URI, so even SVG text cannot inject markup)."""
from __future__ import annotations

import base64
import html

from hookdebate.report.data import date_span, is_bot, plural, verdict_word
from hookdebate.report.sections import (FIT_NOTE, layout_table, more_line, part_label, plan, utc_minute,
                                        variant_diff_sentence, verdict_reason)

CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
.supports{color:#1a7f37}.contradicts{color:#b42318}.cannot{color:#666}
.trace{font-family:monospace;font-size:.85em;color:#444}blockquote{margin:.3em 1em;color:#444}
img.pic{max-width:100%;border:1px solid #ddd}"""

LAYOUT, layout = layout_table()   # section key -> its HTML lines


def e(x) -> str:
    return html.escape(" ".join(str(x).split()), quote=True)


def _cls(s) -> str:
    return "supports" if s is True else "contradicts" if s is False else "cannot"


@layout("head")
def _head(r: dict) -> list[str]:
    span = date_span(r["date_range"])
    return [f"<h1>{e(r['subject'])}</h1>",
            f"<p>Thread <a href=\"{e(r['thread_url'])}\">{e(r['thread'])}</a>: {e(plural(r['messages'], 'message'))}"
            + (f", {e(span)}" if span else "") + ".</p>"]


@layout("debate")
def _debate(d: dict) -> list[str]:
    vs = d["versions"]
    return [f"<p id=\"debate\">Part of a debate of {d['threads']} threads"
            + (f" (versions v{vs[0]}..v{vs[-1]})" if vs else "")
            + f", outcome: {e(d['outcome'])}; see <code>{e(d['command'])}</code>.</p>"]


@layout("positions")
def _positions(participants: list[dict]) -> list[str]:
    H = ["<table id=\"positions\"><thead><tr><th>Participant</th><th>Messages</th>"
         "<th>Stance</th><th>Evidence</th></tr></thead><tbody>"]
    for p in participants:
        ev = "".join(f"<blockquote>\u201c{e(x['quote'])}\u201d <a href=\"{e(x['url'])}\">message</a></blockquote>"
                     for x in p["evidence"])
        bot = " (automated)" if is_bot(p) else ""
        if bot:
            ev = "<i>automated mail; it takes no position</i>"
        stance = "\u2014" if bot else f"{e(p['stance'])} ({p['confidence']:.2f})"
        H.append(f"<tr><td>{e(p['name'] + bot)}</td><td>{p['messages']}</td><td>{stance}</td><td>{ev}</td></tr>")
    H.append("</tbody></table>")
    return H


@layout("timeline")
def _timeline(rows: list[dict]) -> list[str]:
    # a list of rows, not numbered: a series' patches share a row (and the timeline picture has id="timeline")
    H = ["<ul id=\"timeline-list\">"]
    for row in rows:
        t = row["first"]
        if row["parts"]:
            links = ", ".join(f"<a href=\"{e(x['url'])}\">{e(part_label(x))}</a>" for x in row["parts"])
            H.append(f"<li>{e(utc_minute(t['date']))} <b>{e(t['author'])}</b> ({e(t['stance'])}): posted "
                     f"{len(row['parts'])} patches of the series: {links}</li>")
        else:
            H.append(f"<li>{e(utc_minute(t['date']))} <b>{e(t['author'])}</b> ({e(t['stance'])}): "
                     f"<a href=\"{e(t['url'])}\">{e(row['text'])}</a></li>")
    H.append("</ul>")
    return H


@layout("claims")
def _claims(d: dict) -> list[str]:
    H = [""]
    if d["headline"] is not None:
        H.append(f"<p>{e(d['headline'])}</p>")
    H.append("<div id=\"claims\">")
    if not d["claims"]:
        H.append("<p>None: no factual claim in this thread got a verdict (supports or contradicts) from the model.</p>")
    for k in d["claims"]:
        c, v, again = k["claim"], k["verdict"], k["again"]
        H.append(f"<div class=\"claim\"><p><b>{e(c['author'])}</b> (<a href=\"{e(c['url'])}\">message</a>, "
                 f"{e(c['type'])}): \u201c{e(c['text'])}\u201d</p>")
        if c["question"]:
            H.append(f"<p>Question the model answers: {e(c['question'])}</p>")
        if c.get("fit") in FIT_NOTE:
            H.append(f"<p class=\"cannot\"><i>{e(FIT_NOTE[c['fit']])}</i></p>")
        if v:
            tid = c.get("trace_id")
            label = (f"Trace <a href=\"#trace-{e(tid)}\">{e(tid)}</a>" + (" (shown above)" if again else "") + ": "
                     if tid else "")
            H.append(f"<p class=\"{_cls(v['supports_claim'])}\">{label}Replay <code>{e(v['scenario'])}</code> under "
                     f"<code>{e(v['kernel'])}</code> \u21d2 <b>{e(v['outcome'])}</b>: the model "
                     f"{verdict_word(v['supports_claim'])} the claim ({e(verdict_reason(v))})</p>")
            if not again:
                anchor = f' id="trace-{e(tid)}"' if tid else ""
                H.append(f"<ol class=\"trace\"{anchor}>")
                for t in v["trace"]:
                    H.append(f"<li>{e(t['check'])} \u2192 {e(t['result'])} <i>(models {e(t['models'])})</i></li>")
                H.append("</ol>")
        H.append("</div>")
    H.append("</div>")
    return H


@layout("scenarios")
def _scenarios(d: dict) -> list[str]:
    H = ["<ul id=\"scenarios\">"]
    for c in d["claims"]:
        v = c["verdicts"][0]
        H.append(f"<li>{e(c['author'])}: \u201c{e(c['text'])}\u201d \u2014 <code>{e(v['scenario'])}</code> under "
                 f"<code>{e(v['kernel'])}</code> \u21d2 <b>{e(v['outcome'])}</b> "
                 f"(<span class=\"{_cls(v['supports_claim'])}\">model {verdict_word(v['supports_claim'])}</span>"
                 + (", stand-in scenario" if c.get("fit") == "general" else "") + ")</li>")
    return H + _more(d["more"]) + ["</ul>"]


@layout("cannot_judge")
def _cannot_judge(d: dict) -> list[str]:
    H = ["<ul>"] + [f"<li>{e(plural(n, 'claim'))}: {e(reason)}</li>" for reason, n in d["reasons"]]
    for c in d["unlinked"]:
        H.append(f"<li>no scenario: {e(c['author'])}, \u201c{e(c['text'])}\u201d (cites {e(', '.join(c['cites']))})</li>")
    return H + _more(d["more"]) + ["</ul>"]


def _more(n: int) -> list[str]:
    """The line saying how many rows a capped list leaves out (none when it leaves none)."""
    return [f"<li>{e(more_line(n))}</li>"] if n else []


@layout("variant_diff")
def _variant_diff(d: dict) -> list[str]:
    H = ["<div id=\"variant-diff\">"]
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
    return H


@layout("change_impact")
def _change_impact(d: dict) -> list[str]:
    ks = d["kernels"]
    H = ["<table id=\"impact\"><tr><th>Scenario</th>" + "".join(f"<th>{e(k)}</th>" for k in ks) + "</tr>"]
    for row in d["rows"]:
        H.append(f"<tr><td title=\"{e(row['claim'])}\"><code>{e(row['scenario'])}</code></td>"
                 + "".join(f"<td>{e(row['outcomes'][k])}</td>" for k in ks) + "</tr>")
    H.append("</table>")
    return H


@layout("pictures")
def _pictures(pictures: dict) -> list[str]:
    H = [""]
    for name, data in pictures.items():
        b64 = base64.b64encode(data).decode()
        H.append(f"<figure><img class=\"pic\" id=\"{e(name)}\" alt=\"{e(name)}\" "
                 f"src=\"data:image/svg+xml;base64,{b64}\"><figcaption>{e(name)}</figcaption></figure>")
    return H




@layout("in_brief")
def _in_brief(text: str) -> list[str]:
    return [f"<p id=\"in-brief\"><b>In brief.</b> {e(text)}</p>"]


@layout("proposal")
def _proposal(text: str) -> list[str]:
    return [f"<p id=\"proposal\">{e(text)}</p>"]


@layout("outcome")
def _outcome(text: str) -> list[str]:
    return [f"<p id=\"outcome\">{e(text)}</p>"]


def render_html(r: dict, pictures: dict | None = None, sections=None) -> str:
    """pictures: name -> SVG bytes; sections: another plan than sections.SECTIONS (tests)."""
    H: list[str] = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
                    f"<title>{e(r['subject'])}</title><style>{CSS}</style></head><body>"]
    for s, title, data in plan(r, pictures, sections):
        body = LAYOUT[s.key](data)
        # the heading goes in front of the first line; a layout that starts with "" has it on a line of its own
        if title is not None:
            body = [f"<h2>{e(title)}</h2>" + (body[0] if body else "")] + body[1:]
        H += body
    H.append("</body></html>")
    return "\n".join(H) + "\n"
