"""Presented findings on archive threads no rule was written from (issue 12, Deliver 6): the labels
in tests/data/findings/labels.json were given by reading each finding against its claim and trace;
bench/bench_findings.py prints the precision. Here: the labels are complete and reasoned, the
current rules present no finding the labels call wrong and none that nobody read, and the general
fixes made after reading them hold on their own."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from findings_lib import ANCHOR_RULES, FINDINGS, analyze_thread, load_labels, presented, thread_files  # noqa: E402

LABELLED_THREADS = ("2023-add-a-sysctl-option-to-disable-bpf-offensive-hel.mbox.gz",
                    "2024-01-24-bpf-align-cap-net-admin-checks-with-bpf-capable-.mbox.gz")


def test_labels_are_complete_and_reasoned():
    lab = load_labels()
    files = {p.name for p in thread_files()}
    assert len(files) >= 20 and set(lab["threads"]) == files
    assert sum(t["modeled"] for t in lab["threads"].values()) >= 20
    for key, v in lab["labels"].items():
        assert v["label"] in ("right", "wrong") and len(v["reason"]) > 40, key
        assert v["thread"] in files and key.count("|") == 4
    assert ANCHOR_RULES.exists()


@pytest.fixture(scope="module")
def analyses():
    return {name: analyze_thread(FINDINGS / name) for name in LABELLED_THREADS}


def test_presented_findings_are_read_and_none_is_wrong(analyses):
    labels = load_labels()["labels"]
    for name, a in analyses.items():
        for f in presented(FINDINGS / name, a)["findings"]:
            assert f["key"] in labels, f"unread finding {f['key']}: label it (bench/bench_findings.py --list)"
            assert labels[f["key"]]["label"] == "right", (f["claim"][:80], labels[f["key"]]["reason"])


def test_the_anchor_rules_still_present_the_labelled_wrong_findings(analyses):
    """The anchor of the benchmark (the rules before) is measured, not remembered: its findings on
    the offensive-helpers thread are the two labelled wrong (a claim about BPF helpers replayed as
    a container creating a map and asking capable(CAP_BPF))."""
    labels = load_labels()["labels"]
    name = LABELLED_THREADS[0]
    got = presented(FINDINGS / name, analyses[name], str(ANCHOR_RULES))["findings"]
    assert len(got) == 2 and all(labels[f["key"]]["label"] == "wrong" for f in got)


def test_general_fixes():
    from analysis.link import _predicts, load_rules, names_operation, unmodeled_subject

    rules = load_rules()
    assert unmodeled_subject("programs with CAP_BPF can use dangerous helpers such as bpf_probe_read_user", rules) \
        == "BPF helpers and kfuncs"
    assert unmodeled_subject("the verifier rejects the program", rules) == "the BPF verifier"
    assert unmodeled_subject("capable() emits an audit record on denial", rules) == "audit records"
    assert unmodeled_subject("a bpf prog returning 1 from file_alloc_security makes the kernel panic", rules)
    # naming a bpf() command the model replays keeps the claim judgeable
    assert unmodeled_subject("BPF_PROG_LOAD of a program using helpers needs CAP_BPF", rules) is None
    assert unmodeled_subject("BPF_MAP_CREATE needs CAP_BPF", rules) is None
    # a lead-in and a shell transcript state no outcome
    assert _predicts("Example below shows various ways to specify options through mount:", None, rules) is None
    assert _predicts("$ sudo mount -t bpf bpffs /sys/fs/bpf/token -o delegate_cmds=any", None, rules) is None
    # a claim about bpffs mount option values is no test of a map creation
    scen = {"task": {"userns": "child", "caps": {}}, "token": {"userns": "child"},
            "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_ARRAY", "with_token": True}}
    assert not names_operation('"MAP_create" is a valid value for delegate_cmds options, "array" for map types', scen)
    assert names_operation("a token lets the container create the map", scen)


def test_bpf_token_series_of_january_2024_is_judged_against_v6_9(analyses):
    from analysis.link import link_claims

    linked = link_claims(analyses[LABELLED_THREADS[1]])
    kernels = {x.kernel for x in linked.links if x.semantic}
    assert "v6.9" in kernels      # claims of the series' patches: the series is v6.9's code
    assert linked.kernel is None  # the thread's own date (6.8 in development) has no modeled kernel


def test_fresh_set_is_drawn_apart_and_labelled():
    """The second set (tests/data/findings-fresh, bench/pick_findings_threads.py): 20+ threads about a
    modeled subject, none sharing a Message-ID with the first set, each listed in its labels file, with
    the rules at first sight kept as the benchmark's anchor; every label reasoned."""
    import gzip
    import re

    from findings_lib import FRESH, FRESH_ANCHOR

    lab = load_labels(FRESH)
    files = {p.name for p in thread_files(FRESH)}
    assert len(files) >= 20 and set(lab["threads"]) == files and FRESH_ANCHOR.exists()
    assert all(t["modeled"] for t in lab["threads"].values())
    rx = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.M | re.I)
    ids = lambda d: {x for p in thread_files(d) for x in rx.findall(gzip.decompress(p.read_bytes()))}  # noqa: E731
    fresh, first = ids(FRESH), ids(FINDINGS)
    assert len(fresh) >= 100 and not fresh & first
    for key, v in lab["labels"].items():
        assert v["label"] in ("right", "wrong") and len(v["reason"]) > 40, key


def test_every_finding_on_the_fresh_set_is_read():
    from findings_lib import FRESH

    labels = load_labels(FRESH)["labels"]
    for p in thread_files(FRESH):
        for f in presented(p, analyze_thread(p))["findings"]:
            assert f["key"] in labels, f"unread finding {f['key']}: label it (bench/bench_findings.py --set fresh --list)"


@pytest.mark.parametrize("set_name,min_threads,min_msgs", [("fresh2", 24, 100), ("fresh3", 8, 40)])
def test_the_later_sets_are_apart_and_their_first_sight_is_kept(set_name, min_threads, min_msgs):
    """tests/data/findings-fresh2 (drawn once op lsm_hook existed) and findings-fresh3 (the 8 threads
    the picker's rule left after it): none sharing a Message-ID with another set, the rules frozen
    before the draw kept as the anchor, and the first-sight list of presented findings committed for a
    reader; every finding presented there now is in that list or its labels (none yet: both lists
    are empty)."""
    import gzip
    import re

    from findings_lib import FINDINGS, SETS

    here = SETS[set_name][0]
    lab = load_labels(here)
    files = {p.name for p in thread_files(here)}
    assert len(files) >= min_threads and set(lab["threads"]) == files
    assert (here / "rules-first-sight.json").exists() and (here / "first-sight-findings.txt").exists()
    rx = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.M | re.I)
    ids = lambda d: {x for p in thread_files(d) for x in rx.findall(gzip.decompress(p.read_bytes()))}  # noqa: E731
    new = ids(here)
    others = [FINDINGS] + [d for name, (d, _) in SETS.items() if name.startswith("fresh") and d != here]
    assert len(new) >= min_msgs and not any(new & ids(d) for d in others)
    listed = (here / "first-sight-findings.txt").read_text()
    for p in thread_files(here):
        for f in presented(p, analyze_thread(p))["findings"]:
            assert f["key"] in lab["labels"] or f["key"] in listed, f"finding {f['key']} not in the first-sight list"
