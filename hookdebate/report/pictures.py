"""Pictures with matplotlib (imported here only): the argument map between people
and the thread timeline (who posted when, replies as arcs). Return SVG/PNG bytes."""
from __future__ import annotations

import io
import warnings
from collections import Counter
from hookdebate.report.data import parse_iso


def _fig_bytes(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # names in scripts the bundled DejaVu font lacks (CJK...): the SVG keeps the text for
        # the browser's fonts, a PNG shows boxes; a warning per glyph would only bury the output
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        fig.savefig(buf, format=fmt, bbox_inches="tight", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    return plt


MAX_ARCS = 40  # beyond this many messages, reply arcs are a hairball: points only


def timeline(r: dict, fmt: str = "svg") -> bytes:
    plt = _plt()
    from matplotlib.lines import Line2D

    # a message whose Date header did not parse has no place on a time axis: left out
    when = {t["message_id"]: d for t in r["timeline"] if (d := parse_iso(t["date"])) is not None}
    r = dict(r, timeline=[t for t in r["timeline"] if t["message_id"] in when])
    people = []
    for t in r["timeline"]:
        if t["author"] not in people:
            people.append(t["author"])
    count = Counter(t["author"] for t in r["timeline"])
    y = {p: i for i, p in enumerate(people)}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * len(people)))
    colors = {"support": "tab:green", "oppose": "tab:red", "mixed": "tab:orange", "neutral": "tab:gray"}
    arcs = len(r["timeline"]) <= MAX_ARCS
    by_id = {x["message_id"]: x for x in r["timeline"]}
    if arcs:
        for t in r["timeline"]:
            p = by_id.get(t["parent"])
            if p is not None and p["author"] != t["author"]:
                ax.annotate("", xy=(when[t["message_id"]], y[t["author"]]), xytext=(when[p["message_id"]], y[p["author"]]),
                            arrowprops=dict(arrowstyle="->", color="0.6", lw=0.7, connectionstyle="arc3,rad=0.25"))
    for t in r["timeline"]:
        ax.scatter([when[t["message_id"]]], [y[t["author"]]], color=colors.get(t["stance"], "k"), s=30, zorder=3,
                   alpha=0.8)
    ax.set_yticks(range(len(people)), [f"{p} ({count[p]})" for p in people])
    ax.set_ylim(-0.6, len(people) - 0.4)
    used = [k for k in colors if any(t["stance"] == k for t in r["timeline"])]
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color=colors[k], label=k) for k in used],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="stance", title_fontsize=8)
    ax.set_title("Who posted when (messages per person in brackets; colour: stance of the message; "
                 + ("arcs: replies to someone else)" if arcs else
                    f"reply arcs left out for {len(r['timeline'])} messages)"), fontsize=10)
    fig.autofmt_xdate()
    return _fig_bytes(fig, fmt)


def argument_map(r: dict, fmt: str = "svg") -> bytes:
    """People as nodes; an arrow A->B for each claim of A answering B, red attack / green support;
    each node lists the verdicts on that person's semantic claims."""
    import networkx as nx

    plt = _plt()
    g = nx.DiGraph()
    att, sup = Counter(), Counter()
    verd: dict[str, Counter] = {}
    for c in r["claims"]:
        g.add_node(c["author"])
        if c.get("finding", c["verdict"]) in ("supports", "contradicts"):  # stand-ins set aside are no verdict
            verd.setdefault(c["author"], Counter())[c.get("finding", c["verdict"])] += 1
        rt = c["responds_to"]
        if rt and rt.get("author") and rt["author"] != c["author"] and c["relation"]:
            (att if c["relation"] == "attack" else sup)[(c["author"], rt["author"])] += 1
            g.add_edge(c["author"], rt["author"])
    pos = nx.circular_layout(g)
    fig, ax = plt.subplots(figsize=(9, 7))
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.3, 1.3)
    boxes = {}
    for n, (x, y) in pos.items():
        v = verd.get(n, Counter())
        label = n + ("\nmodel " + ", ".join(f"{k} {c}" for k, c in sorted(v.items())) if v else "")
        boxes[n] = ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=3,
                           bbox=dict(boxstyle="round", fc="lightyellow", ec="0.5"))
    fig.canvas.draw()  # the boxes get their size: arrows start and end at their edges
    # Every arrow bends to its own right, attacks less than supports: A->B and B->A, attack and
    # support, are four separate curves, each with its head at the edge of the box it points to.
    for counts, color, rad in ((att, "tab:red", 0.12), (sup, "tab:green", 0.3)):
        for (a, b), n in counts.items():
            lw = min(5.0, 0.6 + n * 0.12)
            ax.annotate("", xy=pos[b], xytext=pos[a], zorder=2, arrowprops=dict(
                arrowstyle=f"-|>,head_length={0.6 + 0.1 * lw:.2f},head_width={0.3 + 0.06 * lw:.2f}",
                color=color, lw=lw, mutation_scale=18, connectionstyle=f"arc3,rad={rad}",
                patchA=boxes[a].get_bbox_patch(), patchB=boxes[b].get_bbox_patch(), shrinkA=2, shrinkB=2))
    ax.set_title("Argument map: red = attacks, green = supports (width: number of claims)"
                 + ("; model verdicts per person" if verd else "")
                 + "\nan arrow points from whoever answers to whoever is answered", fontsize=10)
    ax.axis("off")
    return _fig_bytes(fig, fmt)
