"""Pictures with matplotlib (imported here only, only when a picture is drawn with it): the PNG
of the timeline and the argument map beside Markdown's .svg files (what they show is decided in
hookdebate.report.pictures, the SVG is hookdebate.report.svg's), and the archive's and a debate's
pictures (hookdebate.report.archive, hookdebate.report.debate), which use _plt and _fig_bytes."""
from __future__ import annotations

import io
import warnings
from contextlib import contextmanager

from hookdebate.report.pictures import (EDGE_STYLES, MAX_SCATTERS, REPLY_BEND, REPLY_COLOR, STANCE_COLORS,
                                        MapContent, TimelineContent, edge_width, stance_color)


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


def _plot_range(ax, dates: list) -> None:
    """Keep the time axis inside the years matplotlib can name (0001-9999): a mail dated 9999
    next to ones from 2023 would put the axis' margin past year 9999."""
    from datetime import datetime, timedelta, timezone

    if not dates:
        return
    lo, hi = min(dates), max(dates)
    first = datetime(1, 1, 2, tzinfo=timezone.utc)
    last = datetime(9999, 12, 30, tzinfo=timezone.utc)
    pad = (hi - lo) * 0.05 or timedelta(hours=1)
    # matplotlib widens an axis holding one instant by two years each way: near the ends, the
    # limits are set (differences: lo - pad itself could overflow)
    near = max(pad, timedelta(days=3 * 366)) if lo == hi else pad
    if lo - first < near or last - hi < near:
        ax.set_xlim(first if lo - first < pad else lo - pad, last if last - hi < pad else hi + pad)


def timeline(c: TimelineContent, fmt: str = "png") -> bytes:
    plt = _plt()
    from matplotlib.lines import Line2D

    y = {p: i for i, p in enumerate(c.people)}
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.45 * len(c.people)))
    for parent, reply in c.replies or ():
        a, b = c.points[parent], c.points[reply]
        ax.annotate("", xy=(b.date, y[b.person]), xytext=(a.date, y[a.person]),
                    arrowprops=dict(arrowstyle="->", color=REPLY_COLOR, lw=0.7,
                                    connectionstyle=f"arc3,rad={REPLY_BEND}"))
    if len(c.points) <= MAX_SCATTERS:
        for p in c.points:
            ax.scatter([p.date], [y[p.person]], color=stance_color(p.stance), s=30, zorder=3, alpha=0.8)
    else:  # matplotlib pays per artist: one scatter per stance
        for stance in dict.fromkeys(p.stance for p in c.points):
            pts = [p for p in c.points if p.stance == stance]
            ax.scatter([p.date for p in pts], [y[p.person] for p in pts], color=stance_color(stance), s=30,
                       zorder=3, alpha=0.8)
    _plot_range(ax, [p.date for p in c.points])
    ax.set_yticks(range(len(c.people)), [c.row_label(p) for p in c.people], parse_math=False)  # '$' is text
    ax.set_ylim(len(c.people) - 0.4, -0.6)  # the first to post on top, as in the SVG
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color=STANCE_COLORS[k], label=k) for k in c.stances],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="stance", title_fontsize=8)
    ax.set_title(c.title, fontsize=10)
    fig.autofmt_xdate()
    return _fig_bytes(fig, fmt)


def argument_map(c: MapContent, fmt: str = "png") -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 7))
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.3, 1.3)
    boxes = {}
    for n, (x, y) in c.position.items():
        boxes[n] = ax.text(x, y, "\n".join(c.labels[n]), ha="center", va="center", fontsize=8, zorder=3,
                           parse_math=False, bbox=dict(boxstyle="round", fc="lightyellow", ec="0.5"))
    with _quiet_glyphs():
        fig.canvas.draw()  # the boxes get their size: arrows start and end at their edges
    for a, b, n, kind in c.edges():
        color, rad = EDGE_STYLES[kind]
        lw = edge_width(n)
        ax.annotate("", xy=c.position[b], xytext=c.position[a], zorder=2, arrowprops=dict(
            arrowstyle=f"-|>,head_length={0.6 + 0.1 * lw:.2f},head_width={0.3 + 0.06 * lw:.2f}",
            color=color, lw=lw, mutation_scale=18, connectionstyle=f"arc3,rad={rad}",
            patchA=boxes[a].get_bbox_patch(), patchB=boxes[b].get_bbox_patch(), shrinkA=2, shrinkB=2))
    ax.set_title("\n".join(c.title), fontsize=10)
    ax.axis("off")
    return _fig_bytes(fig, fmt)
