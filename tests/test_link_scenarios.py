"""General mechanisms of claim -> scenario linking, on made-up sentences (nothing of the
embedded thread's wording, people or Message-IDs): explicit-scenario detection, scenario choice
by the conditions a claim states, 'defer' claims judged by the trace, anaphora, proposal-only
hooks, "A vs. B" mentions."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import analysis
from analysis.link import (claim_features, is_explicit_scenario, link_claims, load_rules,
                           scenario_features)
from analysis.model import Claim
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base():
    # only the thread's date (April 2023: v6.3 current, the 2023-04 series debated) and messages are used
    return analysis.analyze(list(iter_mbox(ROOT / "data/threads/authoritative-hooks.mbox")))


def _reply(a):
    return next(m for m in a.messages if m.subject.lower().startswith("re:"))


def _link(a, *texts, cites=(), types=None, message=None):
    mid = (message or _reply(a)).message_id
    claims = tuple(Claim(f"{mid}#t{i}", mid, "someone", t, (types or {}).get(i, "factual"), tuple(cites))
                   for i, t in enumerate(texts))
    return link_claims(replace(a, claims=claims)).links


@pytest.mark.parametrize("text,want", [
    ("A container holding CAP_BPF in its own user namespace calls bpf() to create a map.", True),
    ("Suppose the policy module returns a positive value for that task.", True),
    ("If no LSM policy is loaded, the kernel's checks apply.", True),
    ("An unprivileged process asks for a BTF object.", True),
    ("If you believe otherwise, please let me know.", False),
    ("Once again, thanks for the review.", False),
    ("The patch set is in good shape and the naming is fine.", False),
])
def test_explicit_scenario_detection(text, want):
    assert is_explicit_scenario(text, load_rules()) is want


def test_scenario_features_come_from_the_scenario_json():
    f = scenario_features({"task": {"userns": "child", "caps": {"init": [], "child": ["CAP_BPF"]}},
                           "lsm": [{"name": "bpf", "returns": {"bpf_map_create_security": 1}}],
                           "op": {"call": "bpf", "cmd": "BPF_MAP_CREATE"}, "token": None})
    assert f == {"userns:child", "caps:some", "lsm:positive", "op:BPF_MAP_CREATE"}
    assert "lsm:none" in scenario_features({"task": {"userns": "init", "caps": {}}, "lsm": [],
                                            "op": {"call": "bpf", "cmd": "BPF_BTF_LOAD"}})
    assert {"caps:none", "lsm:positive"} <= claim_features(
        "An unprivileged process the policy deems trusted, because the hook returns a positive value.", load_rules())


def test_stated_conditions_pick_the_scenario(base):
    # same concepts, different conditions -> different catalog scenarios, each the matching one
    pos, none = _link(base,
                      "When the LSM hook returns a positive value for an unprivileged process, the kernel skips "
                      "its capability checks for the map.",
                      "When no LSM program is loaded, the hook returns 0 and the kernel falls back to its normal "
                      "capability checks for the map.",
                      message=next(m for m in base.messages if m.subject.startswith("[PATCH")))
    assert pos.kernel == "proposal-2023-04" and pos.explicit and none.explicit
    vp, vn = pos.verdicts[0], none.verdicts[0]
    assert "lsm:positive" in scenario_features(_scenario_json(vp.scenario_id))
    assert vp.outcome == "allow" and vp.supports_claim is True
    # "falls back to the normal checks" is judged on the trace: the capability checks ran, nothing bypassed
    assert none.predicts == "defer" and "lsm:none" in scenario_features(_scenario_json(vn.scenario_id))
    assert vn.supports_claim is True and any("capable" in step.check for step in vn.trace)


def _scenario_json(sid):
    import semantics

    return semantics.by_id(sid).scenario_json()


def test_defer_claim_is_contradicted_when_the_trace_shows_a_bypass(base):
    from analysis.link import _judge

    import semantics

    entry = semantics.by_id("allowlisted-app-no-caps-map-create")
    v = semantics.replay(entry.scenario, "proposal-2023-04")
    c = Claim("x#1", "x", "someone", "It falls back to the normal checks.", "factual", ())
    j = _judge(c, entry.id, v, "defer", None)
    assert j.supports_claim is False and "bypassed" in j.reason


def test_anaphora_takes_the_previous_claims_outcome(base):
    mid = _reply(base).message_id
    links = link_claims(replace(base, claims=(
        Claim(f"{mid}#a", mid, "someone", "These hooks bypass the kernel's CAP_BPF checks for trusted programs.",
              "factual", ("authoritative LSM hooks",)),
        Claim(f"{mid}#b", mid, "someone", "Similar approach is used by security_vm_enough_memory_mm().",
              "factual", ("security_vm_enough_memory_mm",))))).links
    assert links[0].predicts == "allow"
    v = links[1].verdicts[0]
    assert links[1].predicts == "allow" and "vm-enough-memory" in v.scenario_id
    assert v.supports_claim is False and "previous claim" in v.reason


def test_hook_only_the_proposal_has_picks_the_proposal_kernel(base):
    (link,) = _link(base, "security_bpf_btf_load() allows a trusted unprivileged process to load BTF.",
                    cites=("security_bpf_btf_load()",))
    assert link.kernel == "proposal-2023-04" and "only the series" in link.kernel_reason
    assert link.verdicts[0].outcome == "allow" and link.verdicts[0].supports_claim is True


def test_versus_names_a_debate_not_an_outcome(base):
    (link,) = _link(base, "The restrictive vs. authoritative argument happened long ago.",
                    cites=("LSM non-authoritative",))
    assert link.predicts is None and link.verdicts[0].supports_claim is None


def test_has_always_been_is_about_the_current_kernel_and_relative_would_is_no_hedge(base):
    (link,) = _link(base, "The LSM has always been non-authoritative: it can only restrict what would have "
                          "been permitted otherwise, it cannot grant access.", cites=("LSM non-authoritative",))
    v = link.verdicts[0]
    assert link.kernel == "v6.3" and link.predicts == "deny"
    assert v.outcome != "allow"
    assert v.fit == "stand-in" and v.supports_claim is None     # no operation named: never a finding


def test_a_memory_map_is_no_bpf_map(base):
    """'maps' in 'memory maps' (a process's mappings, /proc/pid/mem) names no bpf() map: such a claim
    is no direct fit for a map-creation scenario, so no finding; a claim about creating maps still is."""
    rules = load_rules()
    mem = "Writing through /proc/self/mem can bypass the permissions on memory maps of a read-only region."
    assert "op:BPF_MAP_CREATE" not in claim_features(mem, rules)
    assert "op:BPF_MAP_CREATE" in claim_features("An unprivileged task can create maps once the hook returns 1.", rules)
    (mem_link, bpf_link) = _link(base, mem, "With the proposed hook an LSM policy can let a task bypass CAP_BPF "
                                 "and create maps.", cites=("authoritative LSM hooks",))
    assert mem_link.verdicts and all(v.supports_claim is None for v in mem_link.verdicts)
    assert any(v.supports_claim is not None and v.fit == "direct" for v in bpf_link.verdicts)
