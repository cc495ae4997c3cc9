"""Why claims about modeled subjects do not become findings: a seeded sample of archive threads that
no file under tests/ or data/ holds (bench/known_threads.py: so none of the three findings sets, the
annotation corpus, the 2022 list or the embedded thread), about a modeled subject by their subject line
(bench_unjudged.thread_subject), analyzed and linked as bench_findings does; every semantic claim that
names an operation the model replays (analysis.link.names_operation: a bpf() command or hook, CAP_BPF,
a BPF map/token, vm_enough_memory, CLONE_NEWUSER/create_user_ns, a security_HOOK() op lsm_hook replays)
or capable()/ns_capable(), is written out with what it states (the link rule's allow/deny cues, or the
generic ones where no rule covers it, computed even where no kernel holds for the date), its fate
(findings_lib.claim_fate) and the first verdict's reason, for a reader to classify.

    .venv/bin/python bench/diagnose_findings_claims.py [--seed 5] [--threads 80] [--out FILE.jsonl]

Both halves are drawn: threads a variant holds for (wholly or for some operations) and threads with no
modeled kernel for their date, so that "the kernel is missing" can be told from "the rule misses".

Measured 2026-12-03 (--seed 5 --threads 148: all 74 candidate threads a variant holds for, 74 of the 189
without one): 1,939 semantic claims, 214 naming a modeled operation (196 distinct texts; 94 in threads with
a kernel), 2 of them stating an outcome by the link rules' cues (both in threads with no modeled kernel);
the reader's classification of them is in the README ("Known limits", findings) and the issue 12 report.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_unjudged import ARCHIVE, _analyze, _fingerprint, _root, thread_subject  # noqa: E402
from findings_lib import claim_fate, subject_of  # noqa: E402
from known_threads import known  # noqa: E402

CAPABLE = re.compile(r"\b(ns_)?capable(_noaudit|_wrt_inode_uidgid)?\s*\(|\bcap_capable\b|\bhas_(ns_)?capability", re.I)
MODELED = ("bpf", "capabilities", "user namespaces", "LSM hooks")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--threads", type=int, default=80, help="threads to analyze (half with a kernel, half without)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "diagnose-claims.jsonl")
    args = ap.parse_args()
    import analysis
    from analysis.link import _predicts, _rule_for, link_claims, load_rules, names_operation
    from scraper import iter_mbox
    from semantics import kernel_on

    rules = load_rules()
    held = known()
    pools = {True: [], False: []}
    for t in analysis.split_threads(iter_mbox(ARCHIVE)):
        if len(t) < 3 or len({m.from_address for m in t}) < 2:
            continue
        dates = [m.date for m in t if m.date]
        if not dates or held.holds([m.message_id for m in t], _root(t).subject):
            continue
        if thread_subject(_root(t).subject) not in MODELED:
            continue
        c = kernel_on(min(dates).date())
        pools[bool(c.variant or c.partial)].append(t)
    print(f"candidates: {len(pools[True])} with a kernel for the date (wholly or partly), {len(pools[False])} without")
    rng = random.Random(args.seed)
    fp = _fingerprint()
    rows, fates = [], Counter()
    for has_kernel, pool in pools.items():
        pool = sorted(pool, key=lambda t: _root(t).message_id)
        for t in rng.sample(pool, min(len(pool), args.threads // 2)):
            a = _analyze(t, fp)
            linked = link_claims(a)
            for c in a.claims:
                link = linked.link(c.claim_id)
                if link is None or not link.semantic:
                    continue
                names = names_operation(c.text, None) or bool(CAPABLE.search(c.text))
                rule = _rule_for(link.concepts, rules, c.text)
                said = link.predicts if link.kernel else _predicts(c.text, rule, rules)
                fate = claim_fate(link)
                fates[(has_kernel, names, said is not None, fate)] += 1
                if not names:
                    continue
                v = link.verdicts[0] if link.verdicts else None
                rows.append({"thread": a.subject, "date": str(min(m.date for m in t if m.date).date()),
                             "has_kernel": has_kernel, "message_id": c.message_id, "type": c.type, "claim": c.text,
                             "subject": subject_of(c.cites), "rule": link.rule, "predicts": said, "fate": fate,
                             "kernel": link.kernel, "scenario": v.scenario_id if v else None,
                             "outcome": v.outcome if v else None, "fit": v.fit if v else None,
                             "reason": v.reason if v else (link.unjudged_reason or link.kernel_reason)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    print("semantic claims: (kernel for the date, names a modeled operation, states an outcome, fate): count")
    for k, n in sorted(fates.items(), key=lambda kv: -kv[1]):
        print(f"  {k}: {n}")
    print(f"{len(rows)} claims naming a modeled operation ({sum(r['predicts'] is not None for r in rows)} stating an outcome) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
