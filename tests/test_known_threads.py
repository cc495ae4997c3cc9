"""bench/known_threads.py: one rule for "already in the repository" that both pickers of fresh
threads use, and the recorded draws come out as committed (bench/draw_fresh.py's first-sight
sets under the narrower rule they were made with, kept as --rule fresh-sets-1-2)."""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import draw_fresh  # noqa: E402
from known_threads import FINDINGS_FRESH, SET_SEED, known  # noqa: E402

from analysis.corpus import ANNOTATIONS, FRESH  # noqa: E402

DRAW_INPUT = ROOT / "tests" / "data" / "draws" / "annotations-fresh-threads.json.gz"


def test_the_rule_reads_gzipped_mail_and_json_and_leaves_out_what_it_is_told(tmp_path):
    (tmp_path / "a.mbox").write_text("From x\nMessage-ID: <one.1111@example.org>\nSubject: [PATCH v3 1/2] lsm: add a hook\n\n")
    with gzip.open(tmp_path / "b.mbox.gz", "wt") as f:
        f.write("From x\nMessage-ID: <two.2222@example.org>\nSubject: Re: [RFC] bpf: a token\n\n")
    (tmp_path / "c.json").write_text(json.dumps({"threads": [{"root": "three.3@example.org", "subject": "[PATCH] capability: x"}]}))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "d.mbox").write_text("Message-ID: <four.4444@example.org>\nSubject: four\n")
    k = known([tmp_path / "out"], bases=[tmp_path])
    assert k.holds(["zzz@x.org", "two.2222@example.org"], "unrelated") and k.holds(["three.3@example.org"], "")
    assert k.holds(["new@x.org"], "[PATCH v7 0/4] lsm: add a hook")          # another version of the series
    assert k.holds(["new@x.org"], "bpf: a token") and k.holds(["new@x.org"], "Re: capability: x")
    assert not k.holds(["four.4444@example.org"], "four") and not k.holds(["new@x.org"], "")


def test_the_draw_inputs_are_not_threads_the_repository_holds():
    roots = [t["root"] for t in json.loads(gzip.decompress(DRAW_INPUT.read_bytes()))["threads"]]
    assert len(roots) > 900
    assert known(bases=[DRAW_INPUT.parent]) == known(bases=[])    # never read: its roots are not "held"
    assert len(set(roots) - known().message_ids) > 600


def test_first_sight_sets_come_out_as_committed():
    threads = json.loads(gzip.decompress(DRAW_INPUT.read_bytes()))["threads"]
    set1 = [t["root"] for t in json.loads((ANNOTATIONS / "index.json").read_text())["threads"]
            if t.get("first_sight_set", "").endswith(f"seed {SET_SEED[1]}")]
    set2 = [t["root"] for t in json.loads((FRESH / "index.json").read_text())["threads"]]
    assert len(set1) == len(set2) == 12
    for seed, recorded in ((SET_SEED[1], set1), (SET_SEED[2], set2)):
        assert sorted(t["root"] for t in draw_fresh.draw(threads, seed=seed)) == sorted(recorded)
    # a new set under the repository rule: none of it held (sets 1 and 2 are now, so it shares none)
    held = known()
    new = draw_fresh.draw(threads, seed=20261205, rule="repository")
    assert len(new) == 12 and not any(held.holds([t["root"]], t["subject"]) for t in new)
    assert not {t["root"] for t in new} & {*set1, *set2}


def test_findings_fresh_draws_come_out_as_committed():
    import pick_findings_threads as pf

    if not pf.ARCHIVE.exists():
        pytest.skip(f"no archive at {pf.ARCHIVE}")
    import analysis
    from scraper import iter_mbox

    threads = analysis.split_threads(iter_mbox(pf.ARCHIVE))
    committed = {p.name for p in FINDINGS_FRESH.glob("*.mbox.gz")}
    drawn = [n for _, _, n in pf.draw(threads, **pf.RECORDED["findings-fresh-2"])]
    assert len(drawn) == 15 and set(drawn) <= committed
    third = ROOT / "tests" / "data" / "findings-fresh2"
    fourth = ROOT / "tests" / "data" / "findings-fresh3"
    quota = {**pf.QUOTA, "bpf": 6, "capabilities": 6, "user namespaces": 2}
    # each set is drawn from the repository as it was: a later set's threads were candidates then
    drawn = [n for _, _, n in pf.draw(threads, 21, 26, quota=quota, by_call=True, leave_out=(third, fourth))]
    assert sorted(drawn) == sorted(p.name for p in third.glob("*.mbox.gz"))
    drawn = [n for _, _, n in pf.draw(threads, **pf.RECORDED["findings-fresh3"], leave_out=(fourth,))]
    assert len(drawn) == 8 and sorted(drawn) == sorted(p.name for p in fourth.glob("*.mbox.gz"))
