"""`report --debate`: one debate across series versions as Markdown or HTML, with two pictures
(the timeline across versions, stance over versions), drawn from the `debate --json` data."""
from __future__ import annotations

import base64
import html

STANCE_COLORS = {"support": "tab:green", "oppose": "tab:red", "mixed": "tab:orange", "neutral": "tab:gray",
                 "unclear": "lightgray"}
LORE = "https://lore.kernel.org/r/"


def _url(mid: str) -> str:
    from urllib.parse import quote

    return LORE + quote(mid, safe="@!$&*+,;=:~") + "/"


def _label(t: dict) -> str:
    return f"v{t['version']}" if t["kind"] == "version" else t["kind"]


def timeline_picture(d: dict, fmt: str = "svg") -> bytes:
    """One row per version (follow-ups on their own row); a dot per thread at its date, sized
    by its messages; arrows from each version to the one it was linked to."""
    from datetime import date

    from hookdebate.report.matplotlib_drawing import _fig_bytes, _plt

    plt = _plt()
    rows = []
    for t in d["threads"]:
        lab = _label(t)
        if lab not in rows:
            rows.append(lab)
    y = {r: i for i, r in enumerate(rows)}
    fig, ax = plt.subplots(figsize=(10, 1.4 + 0.32 * len(rows)))
    pos = {}
    for t in d["threads"]:
        x = date.fromisoformat(t["date"])
        pos[t["root"]] = (x, y[_label(t)])
        color = "tab:blue" if t["kind"] == "version" else {"pull-request": "tab:green", "fix": "tab:purple",
                                                            "revert": "tab:red"}.get(t["kind"], "tab:gray")
        ax.scatter([x], [y[_label(t)]], s=20 + 4 * min(t["messages"], 60), color=color, alpha=0.7, zorder=3)
    for t in d["threads"]:
        to = (t.get("link") or {}).get("to")
        if to in pos and to != t["root"]:
            ax.annotate("", xy=pos[t["root"]], xytext=pos[to],
                        arrowprops=dict(arrowstyle="->", color="0.6", lw=0.6, connectionstyle="arc3,rad=0.2"))
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_title("The debate across versions (dot size: messages; blue: versions, green: pull requests, "
                 "purple: fixes; arrows: the link that joined each thread)", fontsize=9)
    fig.autofmt_xdate()
    return _fig_bytes(fig, fmt)


def stance_picture(d: dict, fmt: str = "svg") -> bytes:
    """People (rows) by versions (columns), each cell the person's stance on that version."""
    from matplotlib.lines import Line2D

    from hookdebate.report.matplotlib_drawing import _fig_bytes, _plt

    plt = _plt()
    versions = [v["version"] for v in d["versions"]]
    people = [p for p in d["participants"] if any("stance" in x for x in p["by_version"].values())][:30]
    fig, ax = plt.subplots(figsize=(1.6 + 0.45 * max(len(versions), 4), 1.2 + 0.32 * max(len(people), 1)))
    for i, p in enumerate(people):
        xs = [(versions.index(int(v)), x["stance"]) for v, x in p["by_version"].items()
              if "stance" in x and int(v) in versions]
        xs.sort()
        if len(xs) > 1:
            ax.plot([a for a, _ in xs], [i] * len(xs), color="0.85", lw=1, zorder=1)
        for a, s in xs:
            ax.scatter([a], [i], color=STANCE_COLORS.get(s, "k"), s=60, zorder=3)
    ax.set_xticks(range(len(versions)), [f"v{v}" for v in versions])
    ax.set_yticks(range(len(people)), [p["name"] for p in people])
    ax.invert_yaxis()
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color=c, label=k) for k, c in STANCE_COLORS.items()],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="stance", title_fontsize=8)
    ax.set_title("Stance over versions (each person's position on each version they took part in)", fontsize=9)
    return _fig_bytes(fig, fmt)


def pictures(d: dict) -> dict[str, bytes]:
    pics = {"debate-timeline": timeline_picture(d)}
    if any("stance" in x for p in d["participants"] for x in p["by_version"].values()):
        pics["stance-over-versions"] = stance_picture(d)
    return pics


def _md(text, limit: int | None = None) -> str:
    """Mail text inside Markdown, inert (hookdebate.report.mdsafe)."""
    from hookdebate.report import mdsafe

    return mdsafe.text(text, limit)


def _msg_link(mid: str) -> str:
    from hookdebate.report import mdsafe

    return mdsafe.link("message", _url(mid))


def render_markdown(d: dict, links: dict | None = None) -> str:
    from hookdebate.report import mdsafe

    deb = d["debate"]
    L = [f"# Debate: {_md(deb['title'])}", ""]
    vs = deb["versions"]
    L.append(f"{len(d['threads'])} threads, " + (f"versions v{vs[0]}..v{vs[-1]}, " if vs else "")
             + f"{_md(deb['from'])} .. {_md(deb['to'])}. Asked about {_md(deb['query'])}.")
    if len(deb["names"]) > 1:
        L += ["", "Names over time: " + " \u2192 ".join(f"\u201c{_md(n)}\u201d" for n in deb["names"])]
    out = d["outcome"]
    L += ["", f"**Outcome: {_md(out['state'])}**" + (f" ({_md(out['tree'])})" if out.get("tree") else "")
          + (" \u2014 with a NACK standing" if out.get("nack_standing") and out["state"] != "NACK standing" else "")
          + (f" \u2014 reverted later: {_md(', '.join(out['reverted']))}" if out.get("reverted") and out["state"] != "reverted" else ""), ""]
    if out.get("replaced_by"):
        r = out["replaced_by"]
        L += [f"Replaced by: {mdsafe.link(_md(r['subject']), _url(r['root']))}", ""]
    for e in out["evidence"]:
        L.append(f"- {_md(e['what'])}: \u201c{_md(e.get('quote', ''), 200)}\u201d ({_msg_link(e['message_id'])})"
                 if e.get("message_id") else f"- {_md(e['what'])}: {_md(e.get('quote', ''))}")
    L += ["", "## Threads", "", "| | Date | Thread | Messages | Linked by | Confidence |", "|---|---|---|---|---|---|"]
    for t in d["threads"]:
        link = t["link"] or {}
        L.append(f"| {_md(_label(t))} | {_md(t['date'])} | {mdsafe.link(_md(t['subject']), _url(t['root']))} | {t['messages']} | "
                 f"{_md(link.get('how', ''))}: {_md(link.get('evidence', ''), 140)} | {_md(link.get('confidence', ''))} |")
    if links and "debate-timeline" in links:
        L += ["", mdsafe.picture("timeline across versions", links["debate-timeline"])]
    L += ["", "## Versions", "", "| Version | Date | Patches | Messages | People | Trailers given |", "|---|---|---|---|---|---|"]
    for v in d["versions"]:
        given = "; ".join(f"{t['kind']} {t['by']}" for t in v["trailers"] if not t["carried"])
        L.append(f"| v{_md(v['version'])} | {_md(v['date'])} | {v['patches']} | {v['messages']} | {len(v['participants'])} | {_md(given)} |")
    people = [p for p in d["participants"] if any("stance" in x for x in p["by_version"].values())]
    if people:
        versions = [v["version"] for v in d["versions"]]
        L += ["", "## Stance over versions", "", "| Person | " + " | ".join(f"v{v}" for v in versions) + " |",
              "|---|" + "---|" * len(versions)]
        for p in people:
            cells = []
            for v in versions:
                x = p["by_version"].get(str(v), {})
                cells.append(_md(x.get("stance", "") + (" (" + ", ".join(x["trailers"]) + ")" if x.get("trailers") else "")))
            L.append(f"| {_md(p['name'])} | " + " | ".join(cells) + " |")
        if links and "stance-over-versions" in links:
            L += ["", mdsafe.picture("stance over versions", links["stance-over-versions"])]
    L += ["", "## Objection ledger", ""]
    if not d["objections"]:
        L.append("No objection read (or the stance analysis was skipped).")
    for o in d["objections"]:
        a, g = o["addressed"], o["objector_agreed"]
        L.append(f"- **v{_md(o['version'])}, {_md(o['by'])}** ({_md(o['stance'])}): \u201c{_md(o['claim'])}\u201d "
                 f"({_msg_link(o['message_id'])})")
        L.append("  - addressed: " + (f"{_md(a['how'])}: \u201c{_md(a['evidence'], 200)}\u201d ({_msg_link(a['message_id'])})"
                                      if a else "no trace in a later changelog or the author's replies"))
        L.append("  - objector agreed afterwards: " + (f"{_md(g['how'])}" + (f" ({_msg_link(g['message_id'])})" if g.get("message_id") else "")
                                                      if g else "no trace"))
    if deb.get("related"):
        L += ["", "## Related (below the confidence threshold)", ""]
        for r in deb["related"]:
            L.append(f"- {mdsafe.link(_md(r['subject']), _url(r['root']))}: {_md(r['how'])} ({_md(r['confidence'])}): "
                     f"{_md(r['evidence'], 140)}")
    return "\n".join(L)


def render_html(d: dict, pics: dict | None = None) -> str:
    """The same as render_markdown, as one self-contained HTML page (pictures inline)."""
    from hookdebate.report.html import CSS

    e = html.escape
    deb = d["debate"]
    H = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
         f"<title>Debate: {e(deb['title'])}</title><style>{CSS}</style></head><body>",
         f"<h1>Debate: {e(deb['title'])}</h1>"]
    vs = deb["versions"]
    H.append(f"<p>{len(d['threads'])} threads, " + (f"versions v{vs[0]}..v{vs[-1]}, " if vs else "")
             + f"{e(deb['from'])} .. {e(deb['to'])}.</p>")
    if len(deb["names"]) > 1:
        H.append("<p>Names over time: " + " \u2192 ".join(f"\u201c{e(n)}\u201d" for n in deb["names"]) + "</p>")
    out = d["outcome"]
    H.append(f"<h2>Outcome: {e(out['state'])}" + (f" ({e(out['tree'])})" if out.get("tree") else "") + "</h2><ul id=\"outcome\">")
    for x in out["evidence"]:
        link = f" <a href=\"{e(_url(x['message_id']))}\">message</a>" if x.get("message_id") else ""
        H.append(f"<li>{e(x['what'])}: \u201c{e(str(x.get('quote', ''))[:200])}\u201d{link}</li>")
    H.append("</ul><h2>Threads</h2><table id=\"threads\"><thead><tr><th></th><th>Date</th><th>Thread</th><th>Messages</th>"
             "<th>Linked by</th><th>Confidence</th></tr></thead><tbody>")
    for t in d["threads"]:
        link = t["link"] or {}
        H.append(f"<tr><td>{e(_label(t))}</td><td>{e(t['date'])}</td><td><a href=\"{e(_url(t['root']))}\">{e(t['subject'])}</a></td>"
                 f"<td>{t['messages']}</td><td>{e(link.get('how', ''))}: {e(link.get('evidence', '')[:160])}</td>"
                 f"<td>{e(str(link.get('confidence', '')))}</td></tr>")
    H.append("</tbody></table>")
    for name, data in (pics or {}).items():
        b64 = base64.b64encode(data).decode()
        H.append(f"<figure><img class=\"pic\" id=\"{e(name)}\" alt=\"{e(name)}\" src=\"data:image/svg+xml;base64,{b64}\">"
                 f"<figcaption>{e(name)}</figcaption></figure>")
    H.append("<h2>Versions</h2><table id=\"versions\"><thead><tr><th>Version</th><th>Date</th><th>Patches</th><th>Messages</th>"
             "<th>People</th><th>Trailers given</th></tr></thead><tbody>")
    for v in d["versions"]:
        given = "; ".join(f"{t['kind']} {t['by']}" for t in v["trailers"] if not t["carried"])
        H.append(f"<tr><td>v{v['version']}</td><td>{e(v['date'])}</td><td>{v['patches']}</td><td>{v['messages']}</td>"
                 f"<td>{len(v['participants'])}</td><td>{e(given)}</td></tr>")
    H.append("</tbody></table><h2>Objection ledger</h2><ul id=\"objections\">")
    for o in d["objections"]:
        a, g = o["addressed"], o["objector_agreed"]
        H.append(f"<li><b>v{o['version']}, {e(o['by'])}</b> ({e(o['stance'])}): \u201c{e(o['claim'])}\u201d "
                 f"<a href=\"{e(_url(o['message_id']))}\">message</a><br>addressed: "
                 + (f"{e(a['how'])}: \u201c{e(a['evidence'][:200])}\u201d" if a else "no trace")
                 + "<br>objector agreed afterwards: " + (e(g["how"]) if g else "no trace") + "</li>")
    H.append("</ul></body></html>")
    return "\n".join(H)
