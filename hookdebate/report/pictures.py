"""Pictures with matplotlib (imported here only): the argument map between people
and the thread timeline (who posted when, replies as arcs). Return SVG/PNG bytes."""
from __future__ import annotations

import io
import warnings
from collections import Counter
from contextlib import contextmanager
from hookdebate.report.data import parse_iso


@contextmanager
def _quiet_glyphs():
    """Names in scripts the bundled DejaVu font lacks (CJK...) or with control characters: the
    SVG keeps the text for the browser's fonts, a PNG shows boxes; a warning per glyph would
    only bury the output (matplotlib warns when a text is laid out: drawn or saved)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        yield


def _fig_bytes(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    with _quiet_glyphs():
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
# Bounds for threads far larger than real ones (a reply chain 20,000 deep, thousands of
# senders): matplotlib pays per artist and per row, so past these the picture is drawn with
# one scatter per stance and the people beyond the busiest are one row (one node on the map).
MAX_SCATTERS = 500
MAX_ROWS = 60
MAX_NODES = 40


def _others(n: int) -> str:
    return f"{n:,} others"


def _keep_busiest(counts: Counter, limit: int) -> tuple[set, str | None]:
    """The limit - 1 busiest names and the label of the row/node the rest share; all names and
    None when there are no more than limit."""
    if len(counts) <= limit:
        return set(counts), None
    kept = {n for n, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:limit - 1]}
    return kept, _others(len(counts) - len(kept))


def _utc(d):
    """The date in UTC, None when it has none (a zone that puts it past year 9999)."""
    from datetime import timezone

    if d is None or d.tzinfo is None:
        return d
    try:
        return d.astimezone(timezone.utc)
    except OverflowError:
        return None


def _plot_range(ax, when: dict) -> None:
    """Keep the time axis inside the years matplotlib can name (0001-9999): a mail dated 9999
    next to ones from 2023 would put the axis' margin past year 9999."""
    from datetime import datetime, timedelta, timezone

    if not when:
        return
    lo, hi = min(when.values()), max(when.values())
    first = datetime(1, 1, 2, tzinfo=timezone.utc)
    last = datetime(9999, 12, 30, tzinfo=timezone.utc)
    pad = (hi - lo) * 0.05 or timedelta(hours=1)
    # matplotlib widens an axis holding one instant by two years each way: near the ends, the
    # limits are set (differences: lo - pad itself could overflow)
    near = max(pad, timedelta(days=3 * 366)) if lo == hi else pad
    if lo - first < near or last - hi < near:
        ax.set_xlim(first if lo - first < pad else lo - pad, last if last - hi < pad else hi + pad)


def timeline(r: dict, fmt: str = "svg") -> bytes:
    plt = _plt()
    from matplotlib.lines import Line2D

    # a message whose Date header did not parse has no place on a time axis: left out
    when = {t["message_id"]: d for t in r["timeline"] if (d := _utc(parse_iso(t["date"]))) is not None}
    r = dict(r, timeline=[t for t in r["timeline"] if t["message_id"] in when])
    count = Counter(t["author"] for t in r["timeline"])
    kept, rest = _keep_busiest(count, MAX_ROWS)
    if rest is not None:
        r = dict(r, timeline=[dict(t, author=t["author"] if t["author"] in kept else rest) for t in r["timeline"]])
        count = Counter(t["author"] for t in r["timeline"])
    people = list(dict.fromkeys(t["author"] for t in r["timeline"]))
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
    if len(r["timeline"]) <= MAX_SCATTERS:
        for t in r["timeline"]:
            ax.scatter([when[t["message_id"]]], [y[t["author"]]], color=colors.get(t["stance"], "k"), s=30, zorder=3,
                       alpha=0.8)
    else:
        for stance in dict.fromkeys(t["stance"] for t in r["timeline"]):
            pts = [t for t in r["timeline"] if t["stance"] == stance]
            ax.scatter([when[t["message_id"]] for t in pts], [y[t["author"]] for t in pts],
                       color=colors.get(stance, "k"), s=30, zorder=3, alpha=0.8)
    _plot_range(ax, when)
    ax.set_yticks(range(len(people)), [f"{p} ({count[p]})" for p in people], parse_math=False)  # '$' is text
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
    kept, rest = _keep_busiest(Counter(c["author"] for c in r["claims"]), MAX_NODES)

    def node(name):
        return name if rest is None or name in kept else rest

    for c in r["claims"]:
        author = node(c["author"])
        g.add_node(author)
        if c.get("finding", c["verdict"]) in ("supports", "contradicts"):  # stand-ins set aside are no verdict
            verd.setdefault(author, Counter())[c.get("finding", c["verdict"])] += 1
        rt = c["responds_to"]
        if rt and rt.get("author") and rt["author"] != c["author"] and c["relation"] and node(rt["author"]) != author:
            (att if c["relation"] == "attack" else sup)[(author, node(rt["author"]))] += 1
            g.add_edge(author, node(rt["author"]))
    pos = nx.circular_layout(g)
    fig, ax = plt.subplots(figsize=(9, 7))
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.3, 1.3)
    boxes = {}
    for n, (x, y) in pos.items():
        v = verd.get(n, Counter())
        label = n + ("\nmodel " + ", ".join(f"{k} {c}" for k, c in sorted(v.items())) if v else "")
        boxes[n] = ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=3, parse_math=False,
                           bbox=dict(boxstyle="round", fc="lightyellow", ec="0.5"))
    with _quiet_glyphs():
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
