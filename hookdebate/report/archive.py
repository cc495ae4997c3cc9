"""`hookdebate report --archive`: the most contested debates of the archive, per year.

Read from the store's per-thread summaries (written by `hookdebate analyze` or any command
that analyzes a thread); see hookdebate.archive for the measure. Markdown, HTML (with the
picture inline as SVG) or JSON."""
from __future__ import annotations

import html as _html

from hookdebate.report import mdsafe
from hookdebate.report.data import lore_url


def build_archive(store, per_year: int = 5) -> dict:
    rows = [r for r in store.list_threads(sort="contested") if r["contested"] is not None]
    total = store.count_threads()
    years: dict[str, list] = {}
    for r in rows:
        year = (r["first"] or "")[:4] or "undated"
        years.setdefault(year, []).append(r)
    return {
        "threads": total, "analyzed": len(rows),
        "current": sum(1 for r in rows if r["analyzed"]),
        "measure": "2 * min(S, O) / (S + O + M + N), S/O/M/N: messages of the people who support / "
                   "oppose / are mixed / neutral",
        "years": [{"year": y, "analyzed": len(v), "top": v[:per_year]} for y, v in sorted(years.items())],
        "all": [{"year": (r["first"] or "")[:4], "contested": r["contested"], "messages": r["messages"]}
                for r in rows],
    }


def _sides(r: dict) -> str:
    s = r.get("sides") or {}
    parts = [f"{s[k]['people']} {k}" for k in ("support", "oppose", "mixed", "neutral") if s.get(k, {}).get("people")]
    return ", ".join(parts)


def render_markdown(a: dict, picture: str | None = None) -> str:
    out = ["# Most contested debates of the archive", "",
           f"{a['analyzed']} of {a['threads']} threads analyzed ({a['analyzed'] - a['current']} of them "
           "since changed or by older code). Contested = " + a["measure"] + ".", ""]
    if picture:
        out += [mdsafe.picture("contested debates per year", picture), ""]
    if not a["years"]:
        out.append("No thread is analyzed yet: run `hookdebate analyze`.")
    for y in a["years"]:
        out += [f"## {mdsafe.text(y['year'])} ({y['analyzed']} analyzed)", "",
                "| contested | messages | people | debate | sides |", "|---:|---:|---:|---|---|"]
        for r in y["top"]:
            out.append(f"| {r['contested']:.2f} | {r['messages']} | {r['people']} | "
                       f"{mdsafe.link(mdsafe.text(r['subject']), lore_url(r['root']))} | {_sides(r)} |")
        out.append("")
    return "\n".join(out)


def render_html(a: dict, svg: bytes | None) -> str:
    e = _html.escape
    body = [f"<h1>Most contested debates of the archive</h1>",
            f"<p>{a['analyzed']} of {a['threads']} threads analyzed. Contested = {e(a['measure'])}.</p>"]
    if svg:
        text = svg.decode("utf-8")
        body.append("<figure>" + text[text.index("<svg"):] + "</figure>")
    if not a["years"]:
        body.append("<p>No thread is analyzed yet: run <code>hookdebate analyze</code>.</p>")
    for y in a["years"]:
        body.append(f"<h2>{e(y['year'])} ({y['analyzed']} analyzed)</h2><table><tr><th>contested</th>"
                    "<th>messages</th><th>people</th><th>debate</th><th>sides</th></tr>")
        for r in y["top"]:
            body.append(f"<tr><td>{r['contested']:.2f}</td><td>{r['messages']}</td><td>{r['people']}</td>"
                        f"<td><a href=\"{e(lore_url(r['root']))}\">{e(r['subject'])}</a></td>"
                        f"<td>{e(_sides(r))}</td></tr>")
        body.append("</table>")
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Most contested debates</title>"
            "<style>body{font-family:sans-serif;max-width:70em;margin:auto}td,th{padding:2px 8px;"
            "text-align:left}figure svg{max-width:100%;height:auto}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def picture(a: dict, fmt: str = "svg") -> bytes:
    """Each analyzed thread as a dot: year (jittered) against contested, size by messages;
    each year's most contested one labeled with its message count."""
    from hookdebate.report.matplotlib_drawing import _fig_bytes, _plt

    plt = _plt()
    years = sorted({p["year"] for p in a["all"] if p["year"]})
    index = {y: i for i, y in enumerate(years)}
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(years) + 2), 3.6))
    import random

    rng = random.Random(0)
    pts = [p for p in a["all"] if p["year"] in index]
    ax.scatter([index[p["year"]] + rng.uniform(-0.3, 0.3) for p in pts], [p["contested"] for p in pts],
               s=[8 + 2 * min(p["messages"], 100) for p in pts], alpha=0.45, color="#b5402a", linewidths=0)
    for y in a["years"]:
        if y["top"] and y["year"] in index:
            top = y["top"][0]
            ax.annotate(f"{top['messages']} msgs", (index[y["year"]], top["contested"]), fontsize=7,
                        xytext=(0, 6), textcoords="offset points", ha="center")
    ax.set_xticks(range(len(years)), years, fontsize=8)
    ax.set_ylim(-0.03, 1.08)
    ax.set_ylabel("contested")
    ax.set_title("Analyzed threads per year (dot size: messages)", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return _fig_bytes(fig, fmt)
