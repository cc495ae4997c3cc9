"""The timeline and the argument map as SVG, written with the standard library (what each shows
is hookdebate.report.pictures'; the PNG is matplotlib's, hookdebate.report.matplotlib_drawing).
Opening an HTML report used to cost about a second of CPU importing and running matplotlib for
these two pictures; this writer costs milliseconds.

Every text from mail (names, the verdict counts beside them) goes through _text(): XML-escaped,
characters XML 1.0 cannot hold replaced by U+FFFD, so a name like '</svg><script>' or '$x$' is
text, and the document parses as XML. Text widths are estimated (no font metrics here):
_TEXT_WIDTH of the font size per character, a full one for East Asian wide characters."""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timedelta, timezone

from hookdebate.report.pictures import (EDGE_STYLES, MAX_SCATTERS, REPLY_BEND, REPLY_COLOR, STANCE_COLORS,
                                        MapContent, TimelineContent, edge_width, stance_color)

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
_TEXT_WIDTH = 0.6
LABEL_CHARS = 48  # a person's label on a picture is cut here ('…'); the report's tables hold the whole name
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _text(s: str, limit: int | None = None) -> str:
    """Mail text as the content or attribute value of an XML element: whitespace runs as one
    space, cut to limit characters, characters XML cannot hold as U+FFFD, & < > " escaped."""
    s = " ".join(str(s).split())
    if limit is not None and len(s) > limit:
        s = s[:limit - 1] + "\u2026"
    s = _NOT_XML.sub("\ufffd", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _width(s: str, size: float) -> float:
    """The estimated width of s (before escaping) at font size size."""
    return size * sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else _TEXT_WIDTH for ch in s)


def _label(s: str) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= LABEL_CHARS else s[:LABEL_CHARS - 1] + "\u2026"


def _n(v: float) -> str:
    return f"{v:.1f}"


def _document(width: float, height: float, body: list[str], defs: list[str]) -> bytes:
    head = ['<?xml version="1.0" encoding="utf-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">',
            f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>']
    if defs:
        head += ["<defs>", *defs, "</defs>"]
    return ("\n".join(head + body + ["</svg>"]) + "\n").encode("utf-8")


def _marker(mid: str, color: str, length: float, open_head: bool = False) -> str:
    """An arrowhead `length` long whose base sits on the end of the line it ends (refX 0), its
    tip `length` further on; the line stops that much short of where the arrow points."""
    w = length * 0.45
    shape = (f'<path d="M 0 0 L {_n(length)} {_n(w)} L 0 {_n(2 * w)}" fill="none" stroke="{color}" '
             f'stroke-width="1.2"/>' if open_head else
             f'<path d="M 0 0 L {_n(length)} {_n(w)} L 0 {_n(2 * w)} z" fill="{color}"/>')
    return (f'<marker id="{mid}" markerUnits="userSpaceOnUse" markerWidth="{_n(length)}" '
            f'markerHeight="{_n(2 * w)}" refX="0" refY="{_n(w)}" orient="auto" overflow="visible">{shape}</marker>')


def _bend(p0, p2, rad: float):
    """The control point of a quadratic curve from p0 to p2 bending to its right (y down) by rad
    of the chord (matplotlib's arc3)."""
    dx, dy = p2[0] - p0[0], p2[1] - p0[1]
    return ((p0[0] + p2[0]) / 2 - rad * dy, (p0[1] + p2[1]) / 2 + rad * dx)


def _at(p0, p1, p2, t: float):
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1])


def _piece(p0, p1, p2, a: float, b: float):
    """The part of the quadratic curve p0 p1 p2 between parameters a and b, as a quadratic curve."""
    def blossom(s, t):
        return tuple((1 - s) * (1 - t) * p0[i] + ((1 - s) * t + s * (1 - t)) * p1[i] + s * t * p2[i] for i in (0, 1))
    return blossom(a, a), blossom(a, b), blossom(b, b)


def _edge_param(inside, lo: float, hi: float) -> float:
    """The parameter in [lo, hi] where inside() changes (inside at lo, not at hi), by bisection."""
    for _ in range(30):
        mid = (lo + hi) / 2
        if inside(mid):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _back_from(p0, p1, p2, t_end: float, lo: float, length: float) -> float:
    """The parameter before t_end (not before lo) where the curve is `length` from its point at t_end."""
    end = _at(p0, p1, p2, t_end)

    def near(t):
        q = _at(p0, p1, p2, t)
        return math.hypot(q[0] - end[0], q[1] - end[1]) < length
    if near(lo):
        return lo
    return _edge_param(near, t_end, lo)


def _curve(p0, p1, p2, marker: str, color: str, width: float, cls: str) -> str:
    return (f'<path class="{cls}" d="M {_n(p0[0])} {_n(p0[1])} Q {_n(p1[0])} {_n(p1[1])} {_n(p2[0])} {_n(p2[1])}" '
            f'fill="none" stroke="{color}" stroke-width="{width:.2f}" marker-end="url(#{marker})"/>')


# -- the timeline ---------------------------------------------------------------------------

ROW = 26          # px per person
PLOT_WIDTH = 700  # px of the time axis
DOT = 4           # px, a message's radius
REPLY_HEAD = 7    # px, the length of a reply arc's head
TICK_STEPS = ([("s", s) for s in (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400,
                                   7 * 86400, 14 * 86400)]
              + [("month", m) for m in (1, 3, 6)]
              + [("year", y) for y in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)])


def _seconds(d: datetime) -> float:
    return (d - _EPOCH).total_seconds()


def _date(s: float) -> datetime:
    return _EPOCH + timedelta(seconds=s)


_FIRST = _seconds(datetime(1, 1, 1, tzinfo=timezone.utc))
_LAST = _seconds(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc))


def _tick_label(d: datetime, unit: str, step: int) -> str:
    if unit == "year":
        return f"{d.year:04d}"
    if unit == "month":
        return f"{d.year:04d}-{d.month:02d}"
    day = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    return day if step >= 86400 else f"{day} {d.hour:02d}:{d.minute:02d}"


def _ticks(lo: float, hi: float, width: float) -> list[tuple[float, str]]:
    """Round dates (UTC) between lo and hi (POSIX seconds, clamped to years 1-9999), labelled: the
    finest step whose labels fit side by side in `width` px."""
    lo, hi = max(lo, _FIRST), min(hi, _LAST)
    span = hi - lo
    for unit, step in TICK_STEPS:
        size = step if unit == "s" else step * 30.44 * 86400 if unit == "month" else step * 365.25 * 86400
        label = 110 if size < 86400 else 75 if unit != "year" else 45  # px: '2023-04-12 19:00', '2023-04-12', '2023'
        most = max(2, int(width // label))
        if span / size <= most - 1:
            break
    start, end = _date(lo), _date(hi)
    out: list[tuple[float, str]] = []
    if unit == "s":
        s = math.ceil(lo / step) * step
        while s <= hi and len(out) <= most:
            out.append((s, _tick_label(_date(s), unit, step)))
            s += step
    elif unit == "month":
        y, m = start.year, 1 + (start.month - 1) // step * step
        while y <= 9999 and (d := datetime(y, m, 1, tzinfo=timezone.utc)) <= end:
            if d >= start:
                out.append((_seconds(d), _tick_label(d, unit, step)))
            m += step
            if m > 12:
                y, m = y + 1, m - 12
    else:
        y = max(1, math.ceil(start.year / step) * step)
        while y <= end.year:
            d = datetime(y, 1, 1, tzinfo=timezone.utc)
            if d >= start:
                out.append((_seconds(d), _tick_label(d, unit, step)))
            y += step
    return out


def timeline(c: TimelineContent) -> bytes:
    size = 12
    labels = {p: f"{_label(p)} ({c.counts[p]})" for p in c.people}
    left = 12 + max([_width(x, size) for x in labels.values()] + [40])
    legend_x = left + PLOT_WIDTH + 24
    legend_w = 20 + max([_width(k, 11) for k in c.stances] + [_width("stance", 11)])
    width = max(legend_x + legend_w + 12, _width(c.title, size) + 24)
    top = 44
    height = top + ROW * max(1, len(c.people)) + 48
    y = {p: top + ROW * (i + 0.5) for i, p in enumerate(c.people)}
    secs = [_seconds(p.date) for p in c.points]
    lo, hi = (min(secs), max(secs)) if secs else (0.0, 3600.0)
    pad = (hi - lo) * 0.05 or 3600.0
    lo_axis, hi_axis = lo - pad, hi + pad

    def x(s: float) -> float:
        return left + PLOT_WIDTH * (s - lo_axis) / (hi_axis - lo_axis)

    bottom = top + ROW * max(1, len(c.people))
    body = [f'<text x="12" y="22" font-size="{size}">{_text(c.title)}</text>']
    for p in c.people:  # a faint line along each row
        body.append(f'<line x1="{_n(left)}" y1="{_n(y[p])}" x2="{_n(left + PLOT_WIDTH)}" y2="{_n(y[p])}" '
                    f'stroke="#eeeeee"/>')
        body.append(f'<text class="person" x="{_n(left - 8)}" y="{_n(y[p] + 4)}" font-size="{size}" '
                    f'text-anchor="end">{_text(labels[p])}</text>')
    body.append(f'<rect class="axes" x="{_n(left)}" y="{top}" width="{PLOT_WIDTH}" height="{_n(bottom - top)}" fill="none" '
                f'stroke="#444444"/>')
    for s, text in _ticks(lo_axis, hi_axis, PLOT_WIDTH):
        body.append(f'<line x1="{_n(x(s))}" y1="{_n(bottom)}" x2="{_n(x(s))}" y2="{_n(bottom + 5)}" stroke="#444444"/>')
        body.append(f'<text class="tick" x="{_n(x(s))}" y="{_n(bottom + 18)}" font-size="10" '
                    f'text-anchor="middle">{text}</text>')
    body.append(f'<text x="{_n(left + PLOT_WIDTH)}" y="{_n(bottom + 34)}" font-size="10" text-anchor="end">UTC</text>')
    spot = [(x(s), y[p.person]) for s, p in zip(secs, c.points)]
    defs = []
    if c.replies:
        defs.append(_marker("reply-head", REPLY_COLOR, REPLY_HEAD, open_head=True))
        for parent, reply in c.replies:
            p0, p2 = spot[parent], spot[reply]
            p1 = _bend(p0, p2, REPLY_BEND)
            # from the edge of the parent's dot (the same curve run backwards) to the head's base,
            # the head's tip on the edge of the reply's dot
            t0 = 1 - _back_from(p2, p1, p0, 1.0, 0.0, DOT)
            t1 = _back_from(p0, p1, p2, 1.0, t0, DOT + REPLY_HEAD)
            body.append(_curve(*_piece(p0, p1, p2, t0, t1), "reply-head", REPLY_COLOR, 0.9, "reply"))
    drawn = set()
    for (px, py), p in zip(spot, c.points):
        if len(c.points) > MAX_SCATTERS:  # a dot on a dot of the same colour adds nothing
            key = (round(px), py, p.stance)
            if key in drawn:
                continue
            drawn.add(key)
        body.append(f'<circle class="message" cx="{_n(px)}" cy="{_n(py)}" r="{DOT}" fill="{stance_color(p.stance)}" '
                    f'fill-opacity="0.8"/>')
    ly = top + 6
    body.append(f'<text x="{_n(legend_x)}" y="{_n(ly + 8)}" font-size="11" font-weight="bold">stance</text>')
    for i, k in enumerate(c.stances):
        cy = ly + 24 + 18 * i
        body.append(f'<circle cx="{_n(legend_x + 5)}" cy="{_n(cy - 4)}" r="4" fill="{STANCE_COLORS[k]}"/>')
        body.append(f'<text class="legend" x="{_n(legend_x + 14)}" y="{_n(cy)}" font-size="11">{k}</text>')
    height = max(height, ly + 24 + 18 * len(c.stances) + 12)
    return _document(width, height, body, defs)


# -- the argument map -----------------------------------------------------------------------

MAP_WIDTH, MAP_HEIGHT = 900, 700
MAP_TOP = 52  # px above the circle for the title's two lines


def argument_map(c: MapContent) -> bytes:
    size, line = 11, 14

    def place(x: float, y: float) -> tuple[float, float]:  # the picture's -1.4..1.4 by -1.3..1.3, y up
        return (MAP_WIDTH * (x + 1.4) / 2.8, MAP_TOP + (MAP_HEIGHT - MAP_TOP) * (1.3 - y) / 2.6)

    lines = {n: [_label(s) for s in c.labels[n]] for n in c.nodes}
    box = {}
    for n in c.nodes:
        cx, cy = place(*c.position[n])
        w = 14 + max(_width(s, size) for s in lines[n])
        h = 8 + line * len(lines[n])
        box[n] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    body = [f'<text x="12" y="{18 + 16 * i}" font-size="12">{_text(t)}</text>' for i, t in enumerate(c.title)]
    defs, heads = [], set()
    for a, b, n, kind in c.edges():
        color, rad = EDGE_STYLES[kind]
        width = edge_width(n) * 1.3  # points to px, as at matplotlib's 110 dpi in the old PNG/SVG
        length = round(8 + 2.2 * width)
        mid = f"{kind}-head-{length}"
        if mid not in heads:
            heads.add(mid)
            defs.append(_marker(mid, color, length))
        p0 = ((box[a][0] + box[a][2]) / 2, (box[a][1] + box[a][3]) / 2)
        p2 = ((box[b][0] + box[b][2]) / 2, (box[b][1] + box[b][3]) / 2)
        p1 = _bend(p0, p2, rad)

        def inside(t, r=box[a]):
            q = _at(p0, p1, p2, t)
            return r[0] - 2 <= q[0] <= r[2] + 2 and r[1] - 2 <= q[1] <= r[3] + 2

        def outside(t, r=box[b]):
            q = _at(p0, p1, p2, t)
            return not (r[0] - 2 <= q[0] <= r[2] + 2 and r[1] - 2 <= q[1] <= r[3] + 2)
        # the curve leaves a's box at t0 and enters b's at t1 (boxes that overlap: centre to centre)
        t0 = _edge_param(inside, 0.0, 0.5) if not inside(0.5) else 0.0
        t1 = _edge_param(outside, 0.5, 1.0) if outside(0.5) else 1.0
        t_head = _back_from(p0, p1, p2, t1, t0, length)
        body.append(_curve(*_piece(p0, p1, p2, t0, t_head), mid, color, width, kind))
    for n in c.nodes:
        x0, y0, x1, y1 = box[n]
        body.append(f'<rect class="node" x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" '
                    f'rx="6" fill="#ffffe0" stroke="#808080"/>')
        for i, s in enumerate(lines[n]):
            body.append(f'<text x="{_n((x0 + x1) / 2)}" y="{_n(y0 + 4 + line * (i + 0.78))}" font-size="{size}" '
                        f'text-anchor="middle">{_text(s)}</text>')
    return _document(MAP_WIDTH, MAP_HEIGHT, body, defs)
