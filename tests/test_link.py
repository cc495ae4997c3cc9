"""Claim -> scenario -> verdict on the embedded thread and on a 2022 thread."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import analysis
from analysis.link import kernel_for_date, link_claims, load_rules, verdict_rows
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def embedded():
    a = analysis.analyze(list(iter_mbox(ROOT / "data/threads/authoritative-hooks.mbox")))
    return a, link_claims(a)


@pytest.fixture(scope="module")
def loophole():
    a = analysis.analyze(list(iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox")))
    return a, link_claims(a, kernel="v6.3")   # by its date (v6.0) the model cannot judge it


def _claim(a, needle):
    for c in a.claims:
        if needle in c.text:
            return c
    raise AssertionError(f"no claim containing {needle!r}")


def test_most_semantic_claims_get_a_verdict_with_trace(embedded):
    a, r = embedded
    s = r.summary()
    assert s["semantic_claims"] >= 50
    assert s["share_with_verdict"] >= 0.8
    for link in r.links:
        for v in link.verdicts:
            assert v.trace, f"{v.scenario_id} has no trace"
            assert v.reason


def test_namespaced_capbpf_claim_is_supported(embedded):
    a, r = embedded
    c = _claim(a, "CAP_BPF in non-init namespace is not enough for bpf() syscall")
    link = r.link(c.claim_id)
    assert link.kernel == "v6.3" and link.predicts == "deny"
    v = link.verdicts[0]
    assert v.outcome == "EPERM" and v.supports_claim is True
    assert any("cap_capable" in step.check for step in v.trace)


def test_vm_enough_memory_precedent_is_replayed_and_contradicted(embedded):
    a, r = embedded
    c = _claim(a, "security_vm_enough_memory_mm(), which seems to be granting")
    v = r.link(c.claim_id).verdicts[0]
    assert "vm-enough-memory" in v.scenario_id
    assert v.outcome == "ENOMEM" and v.supports_claim is False
    rebut = _claim(a, "CAP_SYS_ADMIN will not be granted regardless")
    assert r.link(rebut.claim_id).verdicts[0].supports_claim is True


def test_claim_about_the_series_uses_the_proposal_kernel(embedded):
    a, r = embedded
    c = _claim(a, "which when it returns a positive value")
    link = r.link(c.claim_id)
    assert link.kernel == "proposal-2023-04"
    assert link.verdicts[0].outcome == "allow" and link.verdicts[0].supports_claim is True


def test_normative_claims_are_not_judged(embedded):
    a, r = embedded
    c = _claim(a, "a LSM hook should never be allowed to overrule")
    v = r.link(c.claim_id).verdicts[0]
    assert v.supports_claim is None and "normative" in v.reason


def test_linking_is_by_concept_not_message_id(embedded):
    a, r = embedded
    c = _claim(a, "CAP_BPF in non-init namespace is not enough")
    moved = replace(a, claims=(replace(c, claim_id="x@y#1", message_id="x@y", author="someone@else"),))
    v = link_claims(moved).links[0].verdicts[0]
    assert v.scenario_id == r.link(c.claim_id).verdicts[0].scenario_id and v.supports_claim is True
    # same sentence turned around: the model now contradicts it
    flipped = replace(moved.claims[0], text="A container with CAP_BPF in its user namespace can use bpf() maps.")
    v2 = link_claims(replace(a, claims=(flipped,))).links[0].verdicts[0]
    assert v2.supports_claim is False


def test_kernel_by_date():
    from datetime import date

    rules = load_rules()
    assert kernel_for_date(date(2023, 4, 12), rules)[0] == "v6.3"
    assert kernel_for_date(date(2024, 6, 1), rules)[0] == "v6.9"
    k, why = kernel_for_date(date(2022, 9, 28), rules)
    assert k is None and why.startswith("cannot judge: no modeled kernel for v6.0")


def test_thread_without_a_modeled_kernel_gets_no_verdict():
    a = analysis.analyze(list(iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox")))
    r = link_claims(a)
    assert r.kernel is None and "no modeled kernel for v6.0" in r.kernel_note
    sem = [lk for lk in r.links if lk.semantic]
    assert sem and all(not lk.verdicts and lk.unjudged_reason == r.kernel_note for lk in sem)


def test_verdict_rows_round_trip_through_store(embedded, tmp_path):
    from hookdebate.store import Store

    a, r = embedded
    scen, rows = verdict_rows(r)
    st = Store(tmp_path / "t.db")
    st.save_verdicts(a.tree.root_id, scen, rows)
    n = st.db.execute("select count(*) from verdicts where root_id = ?", [a.tree.root_id]).fetchone()[0]
    assert n == len(rows) > 0
    trace = json.loads(st.db.execute("select trace from verdicts limit 1").fetchone()[0])
    assert trace and {"check", "models", "result"} <= set(trace[0])


def test_second_thread_2022(loophole):
    a, r = loophole
    s = r.summary()
    assert s["semantic_claims"] >= 5 and s["share_with_verdict"] >= 0.8
    assert r.kernel == "v6.3" and "as asked" in r.kernel_note
    c = _claim(a, "LSMs by design are not authoritative")
    v = r.link(c.claim_id).verdicts[0]
    # it names no operation the scenario replays: a stand-in, replayed for context, never a finding
    assert v.fit == "stand-in" and v.supports_claim is None and v.reason.startswith("stand-in scenario")
    assert v.outcome != "allow"


def test_not_bypassing_claim_is_contradicted_under_the_proposal(embedded):
    a, r = embedded
    c = _claim(a, "So it's not bypassing kernel checks")
    link = r.link(c.claim_id)
    v = link.verdicts[0]
    assert link.kernel == "proposal-2023-04" and link.predicts == "deny"
    assert v.outcome == "allow" and v.supports_claim is False
    assert any("bypass" in step.result for step in v.trace)


def test_proposal_and_normative_claims_never_get_true_or_false(embedded):
    a, r = embedded
    types = {c.claim_id: c.type for c in a.claims}
    for link in r.links:
        if types[link.claim_id] in ("normative", "question", "proposal"):
            assert all(v.supports_claim is None for v in link.verdicts)


# -- user namespace creation (create_user_ns(), security_create_user_ns()) ---------------------

@pytest.fixture(scope="module")
def userns():
    a = analysis.analyze(list(iter_mbox(ROOT / "tests/data/create-user-ns-v5-nack.mbox")))
    return a, link_claims(a, kernel="v6.3")   # by its date (v6.0) the model cannot judge it


def _link(r, claim):
    return next(lk for lk in r.links if lk.claim_id == claim.claim_id)


def test_userns_creation_claims_are_replayed_in_create_user_ns(userns):
    a, r = userns
    denied = _link(r, _claim(a, "Attached bpf program denies user namespace creation"))
    assert denied.rule == "user namespace creation" and denied.predicts == "deny"
    v = denied.verdicts[0]
    assert v.scenario_id == "userns-create-lsm-denies-unprivileged" and v.outcome == "EPERM" and v.supports_claim is True
    assert any("security_create_user_ns()" in step.models for step in v.trace)
    unattached = _link(r, _claim(a, "Unattached bpf program does not block"))
    assert unattached.predicts == "allow" and unattached.verdicts[0].supports_claim is True
    # the sysctl the claim names picks the scenario where user.max_user_namespaces is reached
    limit = _link(r, _claim(a, "max_user_namespaces"))
    assert limit.verdicts[0].scenario_id == "userns-create-limit-reached"


def test_userns_purpose_and_policy_syntax_state_no_outcome(userns):
    a, r = userns
    assert _link(r, _claim(a, "closest hook to prevent a call to create_user_ns()")).predicts is None
    assert _link(r, _claim(a, "allow domA_t domA_t")).predicts is None
    assert _link(r, _claim(a, "opportunity to block or allow")).predicts is None
    # the verdict a claim is judged by (the best-matching scenario) never contradicts a claim here
    firsts = [lk.verdicts[0] for lk in r.links if lk.verdicts and lk.rule == "user namespace creation"]
    assert len(firsts) >= 10 and not any(v.supports_claim is False for v in firsts)


def test_userns_cues_count_only_near_the_creation_they_are_about():
    from analysis.link import _predicts

    rules = load_rules()
    rule = next(x for x in rules["rules"] if x["name"] == "user namespace creation")
    # sentences from other versions of the series (v1, v4), not the thread the catalog cites
    far = ("This feels very much like an unbounded ask that can be used to permanently block any effort "
           "to add any form of additional access control around user namespace creation.")
    hedged = ("We agree that completely blocking this feature may disable effective sandboxing techniques, "
              "but uncontrolled user namespace creation increases the attack surface as well.")
    assert _predicts(far, rule, rules) is None
    assert _predicts(hedged, rule, rules) is None
    assert _predicts("An LSM can deny user namespace creation to this task.", rule, rules) == "deny"
    assert _predicts("Unprivileged users can create user namespaces.", rule, rules) == "allow"


def test_what_is_not_a_statement_of_outcome():
    """Sentences from 2022 threads the catalog was not written from, which read as an allow or deny
    only by a word: code quoted as prose, an idiom, an antecedent ('if you block ...'), a noun."""
    from analysis.link import _predicts

    rules = load_rules()
    by_name = {r["name"]: r for r in rules["rules"]}
    userns, bpf_ns = by_name["user namespace creation"], by_name["BPF in a user namespace"]
    code = ("/* negative return value -> some internal error * positive return value -> userns creation "
            "failed * 0 -> userns creation succeeded */ static int create_user_ns(void) { pid_t pid;")
    assert _predicts(code, userns, rules) is None
    assert _predicts("I can't speak to the container manager proposed", bpf_ns, rules) is None
    assert _predicts("what happens in practice when you deny creation of a user namespace.", userns, rules) is None
    assert _predicts("the big amount of human work to add support in the container stack", bpf_ns, rules) is None
    # and what is one still is
    assert _predicts("A container without CAP_BPF can't create the map.", bpf_ns, rules) == "deny"
    assert _predicts("The restrictive approach just doesn't seem to work in a user namespace.", bpf_ns, rules) == "deny"
    assert _predicts("That works for containers.", bpf_ns, rules) == "allow"
    assert _predicts("An LSM denies user namespace creation here.", userns, rules) == "deny"


def test_a_verdict_keeps_the_engines_trace_records():
    """One serialization of a trace: the ClaimVerdict holds semantics' TraceStep records and its
    JSON is theirs (was TraceStep -> tuple -> a dict built by hand)."""
    import semantics
    from analysis.link import ClaimVerdict

    v = semantics.replay(semantics.catalog()[0].scenario_json())
    cv = ClaimVerdict("c#1", "s", v.kernel, v.outcome, None, "r", tuple(v.trace))
    assert cv.trace and all(isinstance(t, semantics.TraceStep) for t in cv.trace)
    assert cv.to_json()["trace"] == [t.to_json() for t in v.trace]
    assert cv.to_json(brief=True) == {k: cv.to_json()[k] for k in ("scenario", "kernel", "outcome", "supports_claim")}
