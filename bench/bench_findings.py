"""Precision of presented findings on threads of the shared archive that no link rule or test was
written from (tests/data/findings/: 35 threads, their subjects and the reader's right/wrong labels
with a reason each, labels.json).

A presented finding is a verdict that supports or contradicts a claim (`hookdebate claims` prints
every such verdict; the report and the argument map each claim's first). Prints, for the link rules
of data/link/ and, as the anchor measured in the same run on the same analyses, the rules before
these threads were read (tests/data/findings/rules-before.json): the findings, how many the labels
call right / wrong / do not cover, precision, findings per thread about a modeled subject, and the
ratio of the two rule sets' findings. Then what became of every claim about kernel semantics, by
subject (finding, stand-in, cannot judge and why, no modeled kernel for the thread's date).

    .venv/bin/python bench/bench_findings.py [--list] [--set archive35|fresh|fresh2|fresh3|all]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from findings_lib import SETS, analyze_thread, load_labels, presented, thread_files  # noqa: E402


def score(results, labels, threads) -> dict:
    fs = [f for r in results for f in r["findings"]]
    right = sum(labels.get(f["key"], {}).get("label") == "right" for f in fs)
    wrong = sum(labels.get(f["key"], {}).get("label") == "wrong" for f in fs)
    modeled = [r for r in results if threads[r["thread"]]["modeled"]]
    on_modeled = sum(len(r["findings"]) for r in modeled)
    return {"findings": len(fs), "right": right, "wrong": wrong, "unlabelled": len(fs) - right - wrong,
            "precision": (right / (right + wrong)) if right + wrong else None,
            "per_modeled_thread": on_modeled / max(1, len(modeled)), "modeled_threads": len(modeled),
            "first": sum(f["first"] for f in fs), "list": fs}


def fmt_p(p):
    return "n/a (nothing presented)" if p is None else f"{p:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="print every presented finding with its label")
    ap.add_argument("--set", choices=sorted(SETS) + ["all"], default="all",
                    help="archive35: the 35 threads read to make the first fixes (tests/data/findings); fresh: the "
                         "threads drawn after them and labelled at first sight (tests/data/findings-fresh); freshN: the "
                         "later first-sight sets (tests/data/findings-freshN)")
    args = ap.parse_args()
    rc = 0
    for name in (sorted(SETS) if args.set == "all" else [args.set]):
        rc |= run_set(name, *SETS[name], args.list)
    return rc


def run_set(set_name: str, directory, anchor_rules, show: bool) -> int:
    print(f"== {set_name} ({directory.relative_to(ROOT)})")
    lab = load_labels(directory)
    labels, threads = lab["labels"], lab["threads"]
    files = thread_files(directory)
    missing = [p.name for p in files if p.name not in threads]
    if missing:
        print(f"threads without a subject in labels.json: {', '.join(missing)}")
        return 1
    t0 = time.perf_counter()
    analyses = [(p, analyze_thread(p)) for p in files]
    t_an = time.perf_counter() - t0
    t0 = time.perf_counter()
    now = [presented(p, a) for p, a in analyses]
    t_now = time.perf_counter() - t0
    before = [presented(p, a, str(anchor_rules)) for p, a in analyses]
    s, b = score(now, labels, threads), score(before, labels, threads)
    msgs = sum(len(a.messages) for _, a in analyses)
    print(f"threads: {len(files)} ({s['modeled_threads']} about a modeled subject), {msgs} messages; "
          f"analysis {t_an:.1f} s, linking with the current rules {t_now:.2f} s")
    for name, x in (("current rules (data/link/rules.json)", s), (f"anchor: rules at first sight ({anchor_rules.name})", b)):
        print(f"{name}: {x['findings']} presented findings ({x['first']} first verdicts, shown by the report), "
              f"right {x['right']}, wrong {x['wrong']}, unlabelled {x['unlabelled']}; precision {fmt_p(x['precision'])}; "
              f"{x['per_modeled_thread']:.2f} findings per thread about a modeled subject")
    ratio = "n/a" if not b["findings"] else f"{s['findings'] / b['findings']:.2f}"
    print(f"findings current/anchor: {s['findings']}/{b['findings']} = {ratio}; wrong findings current/anchor: "
          f"{s['wrong']}/{b['wrong']}")
    with_f = sum(1 for r in now if r["findings"])
    print(f"threads with at least one finding (current rules): {with_f} of {len(now)}")
    if show:
        for name, x in (("current", s), ("anchor", b)):
            for f in x["list"]:
                lb = labels.get(f["key"], {})
                print(f"  [{name}] {lb.get('label', 'UNLABELLED'):10} {f['verdict']:11} {f['scenario']} ({f['kernel']}: "
                      f"{f['outcome']}) {f['thread'][:40]} | {' '.join(f['claim'].split())[:160]}")
                if not lb:
                    print(f"      key: {f['key']}\n      decided by: {f['decided_by']}")
    by_subject: dict = {}
    for r in now:
        for (subject, fate), n in r["fates"].items():
            by_subject.setdefault(subject, Counter())[fate] += n
    print("claims about kernel semantics, by subject (current rules): what became of them")
    for subject in sorted(by_subject, key=lambda k: -sum(by_subject[k].values())):
        c = by_subject[subject]
        total = sum(c.values())
        parts = ", ".join(f"{fate} {n}" for fate, n in c.most_common())
        print(f"  {subject}: {total} claims; {parts}")
    if s["unlabelled"]:
        print(f"{s['unlabelled']} presented findings have no label: read them (--list) and add them to labels.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
