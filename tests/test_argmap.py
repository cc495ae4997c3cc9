from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import analysis
from analysis import argmap
from analysis.link import link_claims
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    a = analysis.analyze(list(iter_mbox(ROOT / "data/threads/authoritative-hooks.mbox")))
    r = link_claims(a)
    return a, r, argmap.build_map(a, r)


def test_graph_has_claims_people_scenarios_and_typed_edges(graph):
    a, r, g = graph
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"claim", "person", "message", "scenario"} <= kinds
    rels = {d.get("relation") for _, _, d in g.edges(data=True) if d["kind"] == "responds_to"}
    assert {"attack", "support"} <= rels
    verdicts = {d.get("verdict") for _, d in g.nodes(data=True) if d["kind"] == "claim"}
    assert {"supports", "contradicts", "cannot judge"} <= verdicts
    # every responds_to edge from a claim points at an existing claim or message
    for a_, b, d in g.edges(data=True):
        if d["kind"] == "responds_to":
            assert g.nodes[b]["kind"] in ("claim", "message")


def test_exports(graph, tmp_path):
    a, r, g = graph
    j = json.loads(argmap.dumps_json(argmap.to_json(g)))
    assert len(j["nodes"]) == g.number_of_nodes()
    argmap.to_graphml(g, tmp_path / "m.graphml")
    root = ET.parse(tmp_path / "m.graphml").getroot()
    assert root.tag.endswith("graphml")
    aif = argmap.to_aif(g)
    types = {n["type"] for n in aif["nodes"]}
    assert {"I", "L", "YA", "CA", "RA"} <= types
    ids = {n["nodeID"] for n in aif["nodes"]}
    assert all(e["fromID"] in ids and e["toID"] in ids for e in aif["edges"])
    # each CA node sits between two I-nodes
    itype = {n["nodeID"]: n["type"] for n in aif["nodes"]}
    for n in aif["nodes"]:
        if n["type"] == "CA":
            ins = [e["fromID"] for e in aif["edges"] if e["toID"] == n["nodeID"]]
            outs = [e["toID"] for e in aif["edges"] if e["fromID"] == n["nodeID"]]
            assert [itype[x] for x in ins + outs] == ["I", "I"]
    dot = argmap.to_dot(g, claims_only=True)
    if shutil.which("dot"):
        out = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and "<svg" in out.stdout
