"""What `diff` and `check` print replays to what they say (issue 12, "diff and check outputs
replay"), through the commands a maintainer would run: every group's example scenario printed by
`diff --json`, fed back to `replay --file`, gives the group's from/to outcomes and the printed
example verdicts, for every ordered pair of variants; every counterexample (and its comparison)
printed by `check --json` replays to the printed verdicts, and `check`'s text names those outcomes;
`replay --all --across` replays every catalog scenario on every variant."""
from __future__ import annotations

import itertools
import json

import pytest

from hookdebate.cli import main
from semantics import catalog, kernel_names


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def replay_file(capsys, tmp_path, scenario, kernel=None):
    f = tmp_path / f"{scenario['id']}-{kernel}.json"
    f.write_text(json.dumps([scenario]))
    argv = ["replay", "--file", f, "--json"] + (["--kernel", kernel] if kernel else [])
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    (v,) = json.loads(out)
    return v


@pytest.mark.parametrize("pair", list(itertools.permutations(kernel_names(), 2)),
                         ids=lambda p: "->".join(p))
def test_every_diff_group_example_replays_to_its_heading(capsys, tmp_path, pair):
    a, b = pair
    rc, out, err = run(capsys, "diff", "--from", a, "--to", b, "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["groups"], pair
    for g in d["groups"]:
        va = replay_file(capsys, tmp_path, g["example"], a)
        vb = replay_file(capsys, tmp_path, g["example"], b)
        assert (va["outcome"], vb["outcome"]) == (g["from_outcome"], g["to_outcome"]), (pair, g["op"])
        assert va["outcome"] != vb["outcome"]
        # the printed example verdicts are those replays, trace and all
        assert [x["outcome"] for x in g["example_verdicts"]] == [va["outcome"], vb["outcome"]]
        assert [x["trace"] for x in g["example_verdicts"]] == [va["trace"], vb["trace"]]
        # the heading's outcomes and the explanation come from the same replays
        assert g["why"].startswith(f"{a}: {va['outcome']}") and f"| {b}: {vb['outcome']}" in g["why"]
        assert g["example"]["op"] == g["op"]


@pytest.mark.parametrize("kernel", kernel_names())
def test_every_check_counterexample_replays_to_its_printed_verdicts(capsys, tmp_path, kernel):
    rc, out, err = run(capsys, "check", "--kernel", kernel, "--json")
    assert rc in (0, 1), err
    props = json.loads(out)
    rc, text, _ = run(capsys, "check", "--kernel", kernel)
    failing = [p for p in props if not p["holds"]]
    for p in props:
        assert (p["counterexample"] is None) == p["holds"], p["property"]
    for p in failing:
        shown = [p["counterexample"]] + ([p["compared_with"]] if p["compared_with"] else [])
        assert len(p["verdicts"]) == len(shown), p["property"]
        for scen, printed in zip(shown, p["verdicts"]):
            v = replay_file(capsys, tmp_path, scen)           # under the scenario's own kernel
            assert v["kernel"] == scen["kernel"] == kernel
            assert v["outcome"] == printed["outcome"], p["property"]
            assert f"{scen['id']} [{kernel}] => {v['outcome']}" in text
            if scen["op"].get("with_token"):
                assert scen["token"] is not None               # complete: a token op names its bpffs


def test_every_catalog_scenario_replays_across_every_variant(capsys):
    rc, out, err = run(capsys, "replay", "--all", "--across", "--json")
    assert rc == 0 and not err.strip(), err
    items = json.loads(out)
    assert [i["id"] for i in items] == [e.id for e in catalog()]
    for item in items:
        assert [r["kernel"] for r in item["across"]] == kernel_names(), item["id"]
        for r in item["across"]:
            assert r["outcome"] and r["trace"], (item["id"], r["kernel"])
            for ign in r["ignored"]:
                assert any(t["check"] == ign and t["result"].startswith(f"ignored: kernel {r['kernel']} has no hook")
                           for t in r["trace"])
