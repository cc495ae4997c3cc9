"""Presented findings of hookdebate on a set of threads, keyed so that a reader's labels
(tests/data/findings/labels.json) stay attached to them (bench/bench_findings.py, tests/test_findings.py).

A *presented finding* is what a reader of `hookdebate claims` or of the report is told: a verdict
that supports or contradicts a claim (every such verdict `claims` prints; the report and the
argument map show each claim's first). Its key is the message, a digest of the claim's text, the
scenario, the kernel and the verdict, so a label survives claim renumbering."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FINDINGS = ROOT / "tests" / "data" / "findings"
ANCHOR_RULES = FINDINGS / "rules-before.json"   # data/link/rules.json as it was before these labels were read
# a second set, drawn by rule (bench/pick_findings_threads.py) after the first set's fixes and labelled
# at first sight, before any rule was changed in response: its anchor is the rules as they were then
FRESH = ROOT / "tests" / "data" / "findings-fresh"
FRESH_ANCHOR = FRESH / "rules-first-sight.json"
# a third set, drawn once op lsm_hook and its link rule existed (pick_findings_threads.py --seed 21 --n 26
# --by-call --quota ...), with the rules frozen before the draw as its anchor
FRESH2 = ROOT / "tests" / "data" / "findings-fresh2"
# every set drawn since (tests/data/findings-freshN, the rules frozen before its draw beside it) is a
# set of its own: a new draw needs no code here
SETS = {"archive35": (FINDINGS, ANCHOR_RULES),
        **{d.name.removeprefix("findings-"): (d, d / "rules-first-sight.json")
           for d in sorted((ROOT / "tests" / "data").glob("findings-fresh*"))
           if (d / "rules-first-sight.json").exists()}}

# a semantic claim's subject, from the concepts it cites (first match wins)
SUBJECTS = (
    ("vm_enough_memory", ("vm_enough_memory",)),
    ("user namespaces", ("user namespace", "init namespace", "create_user_ns", "userns")),
    ("bpf", ("bpf", "BPF", "map_create", "btf", "BTF", "token")),
    ("capabilities", ("CAP_", "capab", "capable")),
    ("LSM hooks", ("LSM", "hook", "call_int_hook", "SELinux", "AppArmor", "Smack", "Landlock")),
)


def finding_key(message_id: str, claim_text: str, scenario: str, kernel: str, supports: bool) -> str:
    h = hashlib.sha1(" ".join(claim_text.split()).encode()).hexdigest()[:10]
    return f"{message_id}|{h}|{scenario}|{kernel}|{'supports' if supports else 'contradicts'}"


def thread_files(directory: Path = FINDINGS) -> list[Path]:
    return sorted(directory.glob("*.mbox.gz"))


def analyze_thread(path: Path):
    import analysis
    from scraper import iter_mbox

    # the cue rules' stance: findings do not depend on the stance model (and it loads faster)
    return analysis.analyze(list(iter_mbox(path)), stance="rules")


def subject_of(cites) -> str:
    for name, keys in SUBJECTS:
        if any(k in c for c in cites for k in keys):
            return name
    return "other"


# why a semantic claim gets no finding, in the order they are told apart (bench_unjudged's columns)
FATES = ("finding", "no modeled kernel", "normative, proposal or question", "hedged", "instruction",
         "subject unmodeled", "not modeled for the date", "no outcome stated", "no direct fit")


def claim_fate(link) -> str:
    """What became of a semantic claim: a finding, or why not. "no modeled kernel": no variant holds
    for the thread's date; "subject unmodeled": it speaks of something the model does not cover (BPF
    helpers, the verifier, audit, other LSM hooks: rules.json unmodeled_subjects); "no direct fit": it
    states an outcome but names no operation a scenario replays (only a stand-in was replayed, or no
    scenario exists); the claim's own form first (analysis.link._judge's order): normative, proposal
    or question, hedged, an instruction, then subject unmodeled, then no outcome stated."""
    vs = link.verdicts if link else ()
    if link is None or link.kernel is None:
        return "no modeled kernel"
    if not vs:
        return "no direct fit"
    v = vs[0]
    if v.supports_claim is not None:
        return "finding"
    r = v.reason          # analysis.link._judge's first reason, in its order
    if r.startswith(("normative", "question", "proposal")):
        return "normative, proposal or question"
    if r.startswith("conditional or hedged"):
        return "hedged"
    if r.startswith("an instruction"):
        return "instruction"
    if r.startswith("about "):
        return "subject unmodeled"
    if r.startswith("not modeled for this kernel"):
        return "not modeled for the date"
    if r.startswith("the claim states no outcome"):
        return "no outcome stated"
    return "no direct fit"      # it states an outcome, but of no operation a scenario replays (stand-in)


def presented(path: Path, a, rules_path: str | None = None) -> dict:
    """The presented findings of one analyzed thread under the given link rules, and what became of
    each semantic claim (by subject: finding, stand-in, cannot judge and why, no modeled kernel)."""
    from analysis.link import link_claims
    from hookdebate.report.data import build

    linked = link_claims(a, rules_path=rules_path)
    report = build(a, linked)
    claims = {c.claim_id: c for c in a.claims}
    out, fates = [], Counter()
    for entry in report["claims"]:
        if not entry["semantic"]:
            continue
        link = linked.link(entry["id"])
        c = claims[entry["id"]]
        subject = subject_of(c.cites)
        vs = link.verdicts if link else ()
        fates[(subject, claim_fate(link))] += 1
        for k, v in enumerate(vs):
            if v.supports_claim is None:
                continue
            out.append({"key": finding_key(c.message_id, c.text, v.scenario_id, v.kernel, v.supports_claim),
                        "thread": path.name, "message_id": c.message_id, "claim": c.text,
                        "scenario": v.scenario_id, "kernel": v.kernel, "outcome": v.outcome,
                        "verdict": "supports" if v.supports_claim else "contradicts", "first": k == 0,
                        "decided_by": [v.trace[-1].check, v.trace[-1].models, v.trace[-1].result] if v.trace else None})
    return {"thread": path.name, "kernel": linked.kernel, "findings": out, "fates": fates}


def load_labels(directory: Path = FINDINGS) -> dict:
    return json.loads((directory / "labels.json").read_text())
