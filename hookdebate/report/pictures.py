"""The report's two pictures of a thread: the argument map between people and the timeline (who
posted when, replies as arcs). This module decides what each shows (rows, points, arcs, nodes,
edges, titles, bounds) from the report dict, with the standard library only; two writers draw it:
hookdebate.report.svg (SVG: the HTML report's inline pictures and Markdown's .svg files; no
matplotlib) and hookdebate.report.matplotlib_drawing (PNG beside Markdown's .svg files).
timeline() and argument_map() return the bytes of either format."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from hookdebate.report.data import parse_iso

MAX_ARCS = 40  # beyond this many messages, reply arcs are a hairball: points only
# Bounds for threads far larger than real ones (a reply chain 20,000 deep, thousands of
# senders): the people beyond the busiest are one row (one node on the map), and past
# MAX_SCATTERS messages the writers may draw points that fall on the same spot once.
MAX_SCATTERS = 500
MAX_ROWS = 60
MAX_NODES = 40

# matplotlib's tab: palette, which the pictures have always used (the same colours in both writers)
STANCE_COLORS = {"support": "#2ca02c", "oppose": "#d62728", "mixed": "#ff7f0e", "neutral": "#7f7f7f"}
UNKNOWN_STANCE_COLOR = "#000000"
ATTACK_COLOR, SUPPORT_COLOR, REPLY_COLOR = "#d62728", "#2ca02c", "#999999"
# how far each arrow bends to its own right (matplotlib's arc3 rad: the control point's offset
# from the chord's middle, as a share of the chord): attacks less than supports, so A->B and
# B->A, attack and support, are four separate curves
ATTACK_BEND, SUPPORT_BEND, REPLY_BEND = 0.12, 0.3, 0.25
# an argument-map edge's kind -> (colour, bend), as both writers draw it
EDGE_STYLES = {"attack": (ATTACK_COLOR, ATTACK_BEND), "support": (SUPPORT_COLOR, SUPPORT_BEND)}


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
    if d is None or d.tzinfo is None:
        return d
    try:
        return d.astimezone(timezone.utc)
    except OverflowError:
        return None


def stance_color(stance: str) -> str:
    return STANCE_COLORS.get(stance, UNKNOWN_STANCE_COLOR)


@dataclass
class Point:
    """One message on the timeline: its date (UTC), its row and its stance."""
    date: datetime
    person: str
    stance: str


@dataclass
class TimelineContent:
    people: list[str]                      # the rows, in the order of each one's first message
    counts: Counter                        # messages per row
    points: list[Point]                    # one per message with a readable date, in timeline order
    replies: list[tuple[int, int]] | None  # (parent, reply) indexes into points, to someone else; None: left out
    stances: list[str]                     # the legend: the stances of STANCE_COLORS the points have
    title: str

    def row_label(self, person: str) -> str:
        return f"{person} ({self.counts[person]})"


def timeline_content(r: dict) -> TimelineContent:
    # a message whose Date header did not parse (or whose zone puts it past year 9999 in UTC)
    # has no place on a time axis: left out
    when = {t["message_id"]: d for t in r["timeline"] if (d := _utc(parse_iso(t["date"]))) is not None}
    entries = [t for t in r["timeline"] if t["message_id"] in when]
    kept, rest = _keep_busiest(Counter(t["author"] for t in entries), MAX_ROWS)

    def row(t):
        return t["author"] if rest is None or t["author"] in kept else rest

    points = [Point(when[t["message_id"]], row(t), t["stance"]) for t in entries]
    index = {t["message_id"]: i for i, t in enumerate(entries)}
    replies = None
    if len(entries) <= MAX_ARCS:
        replies = [(index[t["parent"]], i) for i, t in enumerate(entries)
                   if t["parent"] in index and points[index[t["parent"]]].person != points[i].person]
    title = ("Who posted when (messages per person in brackets; colour: stance of the message; "
             + ("arcs: replies to someone else)" if replies is not None else
                f"reply arcs left out for {len(entries)} messages)"))
    return TimelineContent(people=list(dict.fromkeys(p.person for p in points)),
                           counts=Counter(p.person for p in points), points=points, replies=replies,
                           stances=[k for k in STANCE_COLORS if any(p.stance == k for p in points)], title=title)


@dataclass
class MapContent:
    nodes: list[str]                       # people, in the order they first appear among the claims
    position: dict[str, tuple[float, float]]  # on the unit circle (y up), as networkx's circular_layout
    labels: dict[str, list[str]]           # each node's lines: the name, then the model's verdicts if any
    attacks: Counter                       # (from, to) -> claims of `from` attacking `to`
    supports: Counter
    title: list[str]

    def edges(self):
        """(from, to, claims, kind) of every arrow: attacks, then supports."""
        for kind, counts in (("attack", self.attacks), ("support", self.supports)):
            for (a, b), n in counts.items():
                yield a, b, n, kind


def circle_positions(nodes: list[str]) -> dict[str, tuple[float, float]]:
    """The nodes evenly on the unit circle from angle 0 counter-clockwise; one node in the middle
    (networkx.circular_layout's placement)."""
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    step = 2 * math.pi / max(1, len(nodes))
    return {n: (math.cos(i * step), math.sin(i * step)) for i, n in enumerate(nodes)}


def map_content(r: dict) -> MapContent:
    """People as nodes; an arrow A->B for each pair where A's claims answer B, attack or support
    (a claim with no relation draws none); each node lists the verdicts on that person's claims."""
    nodes: dict[str, None] = {}
    att, sup = Counter(), Counter()
    verd: dict[str, Counter] = {}
    kept, rest = _keep_busiest(Counter(c["author"] for c in r["claims"]), MAX_NODES)

    def node(name):
        return name if rest is None or name in kept else rest

    for c in r["claims"]:
        author = node(c["author"])
        nodes.setdefault(author)
        finding = c.get("finding", c["verdict"])
        if finding in ("supports", "contradicts"):  # stand-ins set aside are no verdict
            verd.setdefault(author, Counter())[finding] += 1
        rt = c["responds_to"]
        if rt and rt.get("author") and rt["author"] != c["author"] and c["relation"] and node(rt["author"]) != author:
            (att if c["relation"] == "attack" else sup)[(author, node(rt["author"]))] += 1
            nodes.setdefault(node(rt["author"]))
    order = list(nodes)
    labels = {n: [n] + (["model " + ", ".join(f"{k} {v}" for k, v in sorted(verd[n].items()))] if n in verd else [])
              for n in order}
    title = ["Argument map: red = attacks, green = supports (width: number of claims)"
             + ("; model verdicts per person" if verd else ""),
             "an arrow points from whoever answers to whoever is answered"]
    return MapContent(nodes=order, position=circle_positions(order), labels=labels, attacks=att, supports=sup,
                      title=title)


def edge_width(claims: int) -> float:
    """An arrow's line width in points: wider for more claims, at most 5."""
    return min(5.0, 0.6 + claims * 0.12)


def timeline(r: dict, fmt: str = "svg") -> bytes:
    content = timeline_content(r)
    if fmt == "svg":
        from hookdebate.report import svg

        return svg.timeline(content)
    from hookdebate.report import matplotlib_drawing

    return matplotlib_drawing.timeline(content, fmt)


def argument_map(r: dict, fmt: str = "svg") -> bytes:
    content = map_content(r)
    if fmt == "svg":
        from hookdebate.report import svg

        return svg.argument_map(content)
    from hookdebate.report import matplotlib_drawing

    return matplotlib_drawing.argument_map(content, fmt)
