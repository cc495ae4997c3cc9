"""The argument map: a networkx graph of claims, people, messages and scenarios.

Nodes: ``claim:<id>`` (text, author, message, type, verdict), ``person:<id>``,
``message:<id>``, ``scenario:<id>`` (outcome per kernel replayed).
Edges: claim -responds_to-> claim/message (relation attack|support), person
-asserts-> claim, claim -in-> message, claim -replayed_as-> scenario.
Exports: JSON (node-link), GraphML, DOT, AIF (Argument Interchange Format:
I-nodes for claims, L-nodes for locutions, RA/CA-nodes for support/attack,
YA-nodes anchoring locutions to claims).
"""
from __future__ import annotations

import json

from analysis.model import ThreadAnalysis


def _verdict_label(link) -> str:
    if link is None or not link.semantic:
        return ""
    if not link.verdicts:
        return "no scenario"
    s = link.verdicts[0].supports_claim
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


def build_map(analysis: ThreadAnalysis, linked=None):
    import networkx as nx

    g = nx.MultiDiGraph(thread=analysis.tree.root_id, subject=analysis.subject)
    names = {p.person_id: p.name for p in analysis.people}
    for p in analysis.people:
        g.add_node(f"person:{p.person_id}", kind="person", label=p.name)
    for m in analysis.messages:
        g.add_node(f"message:{m.message_id}", kind="message", label=m.subject[:60],
                   author=names.get(analysis.author_of.get(m.message_id), m.from_name),
                   date=m.date.isoformat() if m.date else "")
        parent = analysis.tree.parent_of.get(m.message_id)
        if parent:
            g.add_edge(f"message:{m.message_id}", f"message:{parent}", kind="reply")
    # the claim a responds_to quote belongs to, when the quote holds one
    by_msg: dict[str, list] = {}
    for c in analysis.claims:
        by_msg.setdefault(c.message_id, []).append(c)
    for c in analysis.claims:
        link = linked.link(c.claim_id) if linked else None
        g.add_node(f"claim:{c.claim_id}", kind="claim", label=c.text[:80], text=c.text, type=c.type,
                   author=names.get(c.author, c.author), message=c.message_id,
                   verdict=_verdict_label(link))
        g.add_edge(f"person:{c.author}", f"claim:{c.claim_id}", kind="asserts")
        g.add_edge(f"claim:{c.claim_id}", f"message:{c.message_id}", kind="in")
        if c.responds_to and c.responds_to.message_id:
            target = f"message:{c.responds_to.message_id}"
            q = " ".join(c.responds_to.quote.split())
            for other in by_msg.get(c.responds_to.message_id, ()):
                t = " ".join(other.text.split())
                if t and (t in q or (q and q in t)):
                    target = f"claim:{other.claim_id}"
                    break
            if target in g:
                g.add_edge(f"claim:{c.claim_id}", target, kind="responds_to", relation=c.relation or "")
        if link:
            for v in link.verdicts:
                sid = f"scenario:{v.scenario_id}"
                if sid not in g:
                    g.add_node(sid, kind="scenario", label=v.scenario_id)
                g.add_edge(f"claim:{c.claim_id}", sid, kind="replayed_as", kernel=v.kernel, outcome=v.outcome,
                           supports=("" if v.supports_claim is None else str(v.supports_claim).lower()))
    return g


def to_json(g) -> dict:
    import networkx as nx

    return nx.node_link_data(g, edges="links")


def to_graphml(g, path) -> None:
    import networkx as nx

    nx.write_graphml(g, path)


def _dot_q(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(g, claims_only: bool = False) -> str:
    colors = {"person": "lightblue", "message": "gray90", "claim": "white", "scenario": "khaki"}
    vcol = {"supports": "darkgreen", "contradicts": "red3", "cannot judge": "gray50"}
    out = ["digraph argmap {", '  rankdir=LR; node [shape=box, fontsize=9, style=filled];']
    keep = {n for n, d in g.nodes(data=True) if not claims_only or d["kind"] in ("claim", "scenario")}
    for n, d in g.nodes(data=True):
        if n not in keep:
            continue
        attrs = [f"label={_dot_q(d.get('label', n))}", f"fillcolor={colors.get(d['kind'], 'white')}"]
        if d.get("verdict") in vcol:
            attrs.append(f"color={vcol[d['verdict']]}, penwidth=2")
        out.append(f"  {_dot_q(n)} [{', '.join(attrs)}];")
    for a, b, d in g.edges(data=True):
        if a not in keep or b not in keep:
            continue
        color = {"attack": "red", "support": "darkgreen"}.get(d.get("relation"), "black")
        out.append(f"  {_dot_q(a)} -> {_dot_q(b)} [label={_dot_q(d.get('relation') or d['kind'])}, color={color}];")
    out.append("}")
    return "\n".join(out) + "\n"


def to_aif(g) -> dict:
    """AIF JSON (AIFdb style): nodes with nodeID/text/type, edges fromID/toID, locutions."""
    nodes, edges, locutions = [], [], []
    ids: dict[str, str] = {}
    nid = 0

    def new(text, typ, **extra):
        nonlocal nid
        nid += 1
        nodes.append({"nodeID": str(nid), "text": text, "type": typ, **extra})
        return str(nid)

    def edge(a, b):
        edges.append({"edgeID": str(len(edges) + 1), "fromID": a, "toID": b})

    for n, d in g.nodes(data=True):
        if d["kind"] != "claim":
            continue
        i = new(d["text"], "I")
        ids[n] = i
        lnode = new(f"{d['author']}: {d['text']}", "L", timestamp="")
        locutions.append({"nodeID": lnode, "personID": d["author"], "start": "", "source": d["message"]})
        ya = new("Asserting", "YA")
        edge(lnode, ya)
        edge(ya, i)
    for a, b, d in g.edges(data=True):
        if d["kind"] != "responds_to" or a not in ids or b not in ids:
            continue
        rel = d.get("relation")
        if rel == "attack":
            s = new("Default Conflict", "CA")
        elif rel == "support":
            s = new("Default Inference", "RA")
        else:
            continue
        edge(ids[a], s)
        edge(s, ids[b])
    return {"nodes": nodes, "edges": edges, "locutions": locutions}


def dumps_json(obj) -> str:
    return json.dumps(obj, indent=2, default=str)
