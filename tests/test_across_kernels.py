"""One situation across kernels (issue 12): every catalog scenario replays on every variant,
renamed hooks are one hook, and a thread's date picks a kernel whose rules hold for it, or none."""
from __future__ import annotations

import json
from datetime import date

import pytest

from hookdebate.cli import main
from semantics import catalog, kernel_names, kernel_on, releases, replay


def run(capsys, *argv):
    rc = main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("kernel", kernel_names())
def test_every_catalog_scenario_replays_on_every_variant(capsys, kernel):
    rc, out, err = run(capsys, "replay", "--all", "--kernel", kernel, "--json")
    assert rc == 0 and "skipped" not in err
    data = json.loads(out)
    assert len(data) == len(catalog()) and {v["kernel"] for v in data} == {kernel}
    for v in data:          # a return for a hook this kernel lacks is ignored, and the trace says so
        entry = next(e for e in catalog() if e.id == v["id"])
        lacking = [h for m in entry.scenario.lsm for h, _ in m.returns
                   if __import__("semantics").load_kernel(kernel).own_hook(h) is None]
        ignored = [t for t in v["trace"] if t["result"].startswith(f"ignored: kernel {kernel} has no hook")]
        assert len(ignored) == len(lacking), v["id"]


def test_replay_across_one_row_per_variant(capsys):
    rc, out, _ = run(capsys, "replay", "container-capbpf-lru-map-granted", "--across", "--json")
    (item,) = json.loads(out)
    rows = {r["kernel"]: r for r in item["across"]}
    assert list(rows) == kernel_names()
    assert rows["proposal-2023-04"]["outcome"] == "allow" and rows["proposal-2023-04"]["ignored"] == []
    # the proposal's bypass hook does not exist in v6.3 or v6.9: ignored there, the kernel's checks decide
    for k in ("v6.3", "v6.9"):
        assert rows[k]["outcome"] == "EPERM"
        assert rows[k]["ignored"] == ["lsm[0] bpf: returns 1 from bpf_map_create_security"]
        assert "unprivileged_bpf_disabled" in rows[k]["decided_by"]["check"]
    rc, text, _ = run(capsys, "replay", "container-capbpf-lru-map-granted", "--across")
    assert rc == 0 and len([ln for ln in text.splitlines() if ln.startswith("  ")]) == len(kernel_names())
    rc, _, err = run(capsys, "replay", "container-capbpf-lru-map-granted", "--across", "--kernel", "v6.3")
    assert rc == 2 and "not both" in err


def test_diff_treats_a_renamed_hook_as_one_hook():
    """bpf_map_alloc_security (v6.3) is bpf_map_create (v6.9): no group of the diff may hang on a
    return set under one name only (which read as "the hook vanished": spurious EPERM -> allow)."""
    from semantics import diff

    r = diff("v6.3", "v6.9")
    texts = [t for g in r.groups for t in g.condition_texts()]
    assert texts and any("bpf_map_alloc_security/bpf_map_create hook" in t for t in texts)
    assert not any(("bpf_map_alloc_security hook" in t) or (" bpf_map_create hook" in t) for t in texts)


def test_releases_table_is_complete_and_dated():
    rs = releases()
    names = [r.name for r in rs]
    assert names[0] == "v5.0" and "v5.19" in names and "v6.0" in names and "v6.19" in names
    assert [r.date for r in rs] == sorted(r.date for r in rs)
    assert {r.variant for r in rs if r.variant} <= set(kernel_names())
    for r in rs:
        assert bool(r.variant) != bool(r.needs), r.name      # a variant, or what one would need


@pytest.mark.parametrize("day, variant, words", [
    (date(2023, 4, 12), "v6.3", "v6.3 (in development then, released 2023-04-23)"),
    (date(2024, 4, 1), "v6.9", "v6.9 (in development then"),
    (date(2024, 5, 20), "v6.9", "v6.9, the latest release"),
    (date(2019, 6, 1), "pre-capbpf", "v5.2 (in development then, released 2019-07-07); model variant pre-capbpf"),
    (date(2020, 7, 1), "pre-capbpf", "v5.7, the latest release (2020-05-31), model variant pre-capbpf"),
    (date(2020, 9, 1), None, "cannot judge: no modeled kernel for v5.9"),
    (date(2023, 9, 10), None, "cannot judge: no modeled kernel for v6.6"),
    (date(2025, 6, 10), None, "cannot judge: no modeled kernel for v6.16"),
    (None, None, "cannot judge"),
])
def test_kernel_by_date(day, variant, words):
    c = kernel_on(day)
    assert c.variant == variant and words in c.note
    assert "was current" not in c.note
    if variant is None and day and day.year == 2020:
        assert "CAP_BPF exists" in c.note


@pytest.mark.parametrize("pair", [("v6.3", "proposal-2023-04"), ("v6.3", "v6.9")])
def test_diff_examples_replay_to_their_group(pair):
    """Each group's heading (from -> to outcome) and its 'why' come from one computation: the example
    scenario, replayed under both kernels, gives exactly the heading's outcomes."""
    from semantics import diff

    r = diff(*pair)
    assert r.groups
    for g in r.groups:
        va, vb = replay(g.example, pair[0]), replay(g.example, pair[1])
        assert (va.outcome, vb.outcome) == (g.from_outcome, g.to_outcome), g.op_text()
        assert g.why.startswith(f"{pair[0]}: {g.from_outcome}") and f"| {pair[1]}: {g.to_outcome}" in g.why


def test_ret_n_is_not_newly_allowed():
    """A positive security_bpf_map_alloc()/_create() return makes map_create() free the map and return
    it (kernel/bpf/syscall.c): ret=1 is a refusal, so EPERM -> ret=1 is no 'newly allowed' row."""
    from analysis.impact import variant_diff

    d = variant_diff("v6.3", "v6.9")
    assert all(g["to_outcome"] == "allow" for g in d["groups"] if g["direction"] == "newly allowed")
    assert any(g["to_outcome"].startswith("ret=") for g in d["groups"])


@pytest.mark.parametrize("kernel", kernel_names())
def test_check_counterexamples_are_complete_and_replay(kernel):
    from semantics import check

    for p in check(kernel):
        if p.counterexample is None:
            continue
        v = replay(p.counterexample)
        assert v.outcome == p.verdicts[0].outcome, p.name
        if p.comparison is not None:
            assert replay(p.comparison).outcome == p.verdicts[1].outcome, p.name
        if p.counterexample["op"].get("with_token"):
            assert p.counterexample["token"] is not None       # a token op names its bpffs


def test_partial_variant_holds_only_where_both_sources_agree():
    """releases.json 'calls': a release between v6.3 and v6.9 is judged under v6.9 for the operations
    whose rules are the same in both trees. The claim rests on that sameness, so every catalog
    scenario of those operations, and each one varied over the sysctl, LSM returns of the hooks they
    use and the task's capabilities, must replay alike under both variants."""
    import copy

    c = kernel_on(date(2023, 9, 10))                      # v6.6 in development
    assert c.variant is None and c.partial and "no modeled kernel for v6.6" in c.note
    (variant, calls, basis, hooks_as_in), = c.partial
    assert variant == "v6.9" and "bpf" not in calls and "vm_enough_memory" not in calls
    assert "identical" in basis and "lsm_hook_defs.h" in basis
    assert kernel_on(date(2022, 6, 1)).partial == () and kernel_on(date(2025, 6, 1)).partial == ()
    tried = 0
    for e in catalog():
        s = e.scenario_json()
        if s["op"]["call"] not in calls:
            continue
        for caps in (None, [], ["CAP_SYS_ADMIN"], "ALL"):
            for ret in (None, 0, -1, 1):
                v = copy.deepcopy(s)
                if caps is not None:
                    v["task"]["caps"] = {v["task"]["userns"]: caps}
                if ret is not None:
                    hook = "userns_create" if s["op"]["call"] == "userns_create" else "capable"
                    v["lsm"] = [{"name": "selinux", "returns": {hook: ret}}]
                assert replay(v, "v6.3").outcome == replay(v, "v6.9").outcome, (e.id, caps, ret)
                tried += 1
    assert tried >= 48


def test_claims_of_a_partial_release_replay_only_its_operations():
    """A thread dated in v6.6's development: a user-namespace claim is judged under v6.9 (its rules
    hold there), a bpf() claim stays 'no modeled kernel'."""
    from datetime import datetime, timezone

    from analysis.link import link_claims
    from analysis.model import Claim, ThreadAnalysis, ThreadTree
    from mailrecords import Message

    when = datetime(2023, 9, 10, tzinfo=timezone.utc)
    m = Message(message_id="a@x", subject="[PATCH] userns", from_name="A", from_address="a@x", date=when,
                date_raw="", in_reply_to=None, references=(), body="", raw=b"", origin="test")
    claims = (Claim("c1", "a@x", "A", "An unprivileged user can create a user namespace with unshare(CLONE_NEWUSER).",
                    "factual", ("user namespace creation", "user namespace"), None, None),
              Claim("c2", "a@x", "A", "Without CAP_BPF, BPF_MAP_CREATE of an LRU hash map fails with EPERM.",
                    "factual", ("CAP_BPF", "BPF_MAP_CREATE"), None, None))
    a = ThreadAnalysis(tree=ThreadTree("a@x", {"a@x": None}, ("a@x",)), subject="userns", proposal="",
                       messages=(m,), people=(), author_of={}, segments=(), reply_pairs=(), claims=claims,
                       message_stances=(), positions=(), extra={})
    r = link_claims(a)
    l1, l2 = r.link("c1"), r.link("c2")
    assert l1.kernel == "v6.9" and l1.verdicts and "releases.json 'calls'" in l1.kernel_reason
    assert all(r.scenarios[v.scenario_id][1]["op"]["call"] == "userns_create" for v in l1.verdicts)
    assert l2.kernel is None and not l2.verdicts and "no modeled kernel for v6.6" in l2.unjudged_reason


def test_pre_capbpf_models_only_the_gate_its_sources_show():
    """pre-capbpf (v5.0-v5.7): bpf() refuses BPF_MAP_CREATE / BPF_PROG_LOAD to a task without
    CAP_SYS_ADMIN when kernel.unprivileged_bpf_disabled is 1; CAP_BPF counts for nothing; everything
    past the gate, value 2 and the other operations are 'not modeled', never a guess."""
    base = {"id": "t", "kernel": "pre-capbpf", "task": {"userns": "init", "caps": {"init": []}}, "lsm": [],
            "token": None, "sysctl": {"kernel.unprivileged_bpf_disabled": 1},
            "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE", "map_type": "BPF_MAP_TYPE_HASH"}}

    def out(caps=(), sysctl=1, op=None):
        s = json.loads(json.dumps(base))
        s["task"]["caps"]["init"] = list(caps)
        s["sysctl"]["kernel.unprivileged_bpf_disabled"] = sysctl
        if op:
            s["op"] = op
        return replay(s)

    v = out()
    assert v.outcome == "EPERM" and "capable(CAP_SYS_ADMIN)" in v.trace[-1].check
    assert "capability.h" in v.trace[-1].models and "kernel.rst" in v.trace[-1].models
    assert out(["CAP_BPF", "CAP_PERFMON"]).outcome == "EPERM"
    assert out(["CAP_SYS_ADMIN"]).outcome == "not modeled"
    assert out(sysctl=0).outcome == "not modeled"
    assert out(sysctl=2).outcome == "not modeled"
    prog = {"call": "bpf", "cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_SOCKET_FILTER"}
    assert out(op=prog).outcome == "EPERM"
    assert out(op={"call": "bpf", "cmd": "BPF_BTF_LOAD"}).outcome == "not modeled"
    assert out(op={"call": "capable", "cap": "CAP_SYS_ADMIN"}).outcome == "not modeled"
    assert out(op={"call": "userns_create"}).outcome == "not modeled"
    # and a claim replayed into 'not modeled' is no finding
    from analysis.link import _judge
    from analysis.model import Claim

    c = Claim("c", "m", "a", "An unprivileged user can create a hash map with bpf(BPF_MAP_CREATE).", "factual", ("bpf()",))
    j = _judge(c, "t", out(sysctl=0), "allow", None)
    assert j.supports_claim is None and j.reason.startswith("not modeled for this kernel")


def test_across_library_rows_are_typed_and_are_what_the_command_prints(capsys):
    """semantics.across() is the computation; `replay --across --json` only serializes its rows."""
    from semantics import KernelRow, TraceStep, across, by_id

    scenario = by_id("container-capbpf-lru-map-granted").scenario
    rows = across(scenario)
    assert all(isinstance(r, KernelRow) for r in rows) and [r.kernel for r in rows] == kernel_names()
    by_kernel = {r.kernel: r for r in rows}
    granted = by_kernel["proposal-2023-04"]
    # a grant is decided by the bypass step of its trace; a refusal by the trace's last step
    assert granted.outcome == "allow" and isinstance(granted.decided_by, TraceStep)
    assert granted.decided_by.result.startswith("bypass") and granted.decided_by in granted.trace
    refused = by_kernel["v6.3"]
    assert refused.outcome == "EPERM" and refused.decided_by == refused.trace[-1]
    assert refused.ignored == ("lsm[0] bpf: returns 1 from bpf_map_create_security",)
    assert [r.outcome for r in rows] == [replay(scenario, k).outcome for k in kernel_names()]
    # the scenario's JSON gives the same rows as the parsed scenario
    assert across(scenario.to_json()) == rows
    rc, out, _ = run(capsys, "replay", scenario.id, "--across", "--json")
    assert rc == 0 and json.loads(out) == [{"id": scenario.id, "across": [r.to_json() for r in rows]}]
