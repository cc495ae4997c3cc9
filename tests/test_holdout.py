"""Held-out per-person stances (tests/data/holdout-stances.json).

Eleven 2022 linux-security-module threads the analysis was not developed on, copied into
tests/data/ as mboxes of that thread's raw messages, with a per-person stance annotation
written by reading the mail before looking at hookdebate's output. The annotation must be
well-formed and point at real messages; the analysis must keep per-person accuracy above a
floor a little below what it reaches (50/56 = 0.893 when this floor was set).
`.venv/bin/python bench/bench_holdout.py` prints every row.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from functools import partial

from analysis import analyze as _analyze

# the cue rules' held-out figure; these threads are now also in the stance model's training
# corpus, so the model is measured by cross-validation instead (bench/bench_stance.py)
analyze = partial(_analyze, stance="rules")
from analysis.evaluate import evaluate_positions
from analysis.model import STANCES
from scraper import iter_mbox

DATA = Path(__file__).resolve().parent / "data"
GOLD = json.loads((DATA / "holdout-stances.json").read_text())
FLOOR = 0.85  # overall held-out per-person accuracy (48 of 56)
_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def test_annotation_is_well_formed():
    assert GOLD["how_annotated"].strip()
    files = [t["file"] for t in GOLD["threads"]]
    assert len(files) == len(set(files)) >= 10
    scored = 0
    for t in GOLD["threads"]:
        assert {"file", "root", "subject", "proposal", "people"} <= set(t), t.get("file")
        assert (DATA / t["file"]).is_file() and t["proposal"].strip()
        names = [p["name"] for p in t["people"]]
        assert len(names) == len(set(names)), t["file"]
        assert len(t["people"]) >= 3, t["file"]
        for p in t["people"]:
            assert {"name", "stance", "message_id", "quote"} <= set(p), (t["file"], p)
            assert p["stance"] in STANCES, (t["file"], p["name"])
            assert p.get("score", True) in (True, False)
            if p.get("score", True) is False:
                assert p.get("note", "").strip(), f"{p['name']}: left out of the score without a note"
            scored += p.get("score", True)
    assert scored >= 50


@pytest.mark.parametrize("thread", GOLD["threads"], ids=lambda t: t["file"])
def test_annotated_messages_exist_in_their_mbox(thread):
    """Every annotated Message-ID (and the root) is a message of that thread's mbox, written
    by the person it is attributed to, and the evidence quote is in its body."""
    by_id = {m.message_id: m for m in iter_mbox(DATA / thread["file"])}
    assert thread["root"] in by_id
    assert _norm(by_id[thread["root"]].subject) == _norm(thread["subject"])
    for p in thread["people"]:
        m = by_id.get(p["message_id"])
        assert m is not None, f"{thread['file']}: {p['message_id']} not in the mbox"
        assert m.from_name == p["name"], (p["message_id"], m.from_name, p["name"])
        assert _norm(p["quote"]) in _norm(m.body), (p["name"], p["quote"])


def test_mboxes_are_single_threads_of_raw_archive_messages():
    for t in GOLD["threads"]:
        raw = (DATA / t["file"]).read_bytes()
        assert raw.startswith(b"From "), t["file"]
        msgs = list(iter_mbox(DATA / t["file"]))
        assert len({m.message_id for m in msgs}) == len(msgs) >= 5
        a = analyze(msgs) if len(msgs) <= 8 else None
        if a is not None:
            assert a.tree.root_id == t["root"]


def test_holdout_per_person_accuracy_floor():
    confusion: Counter = Counter()
    per_thread = {}
    for t in GOLD["threads"]:
        a = analyze(list(iter_mbox(DATA / t["file"])))
        assert a.tree.root_id == t["root"], t["file"]
        rows = [r for r in evaluate_positions(a, t["people"]) if r["scored"]]
        assert all(r["predicted"] != "missing" for r in rows), t["file"]
        per_thread[t["file"]] = sum(r["gold"] == r["predicted"] for r in rows) / len(rows)
        confusion.update((r["gold"], r["predicted"]) for r in rows)
    total = sum(confusion.values())
    right = sum(n for (g, p), n in confusion.items() if g == p)
    assert right / total >= FLOOR, (right, total, per_thread)
    # no side is read as the opposite one; no thread falls apart (the weakest, bpf_getxattr,
    # is 2/6: reviews posted under the selftest patch read as code review)
    assert confusion[("support", "oppose")] == confusion[("oppose", "support")] == 0, confusion
    assert min(per_thread.values()) >= 0.3, per_thread
