"""Benchmark of the semantics model: decisions/s and the time of the full diff.

Anchors, measured in the same run: json.loads() of one contract scenario (the
cheapest thing a caller must do before any decision), against which every
rate is printed as a ratio; and for each diff, the naive enumeration of the
same diff (the model re-run from scratch at every node of the decision tree,
each widened cube re-explored to minimize), against which its time is
printed as a ratio (and checked to give the same result).

    .venv/bin/python bench/bench_semantics.py [--quick]   (--quick: naive anchor on two pairs only)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semantics import catalog, decide, diff, enumerate_space, kernel_names, load_kernel, outcome  # noqa: E402
from semantics.space import space_ops  # noqa: E402


def rate(fn, items, min_seconds=0.5):
    """Calls per second of fn over items, repeated for at least min_seconds."""
    n, t0 = 0, time.perf_counter()
    while True:
        for it in items:
            fn(it)
        n += len(items)
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return n / dt


def main() -> int:
    entries = catalog()
    scenarios = [e.scenario for e in entries]
    texts = [json.dumps(e.scenario_json()) for e in entries]
    for k in kernel_names():          # load once: data files are cached after first use
        load_kernel(k)

    anchor = rate(json.loads, texts)
    print(f"anchor: json.loads of one scenario: {anchor:,.0f}/s")

    with_trace = rate(decide, scenarios)
    no_trace = rate(outcome, scenarios)
    print(f"decide() with trace, catalog scenarios: {with_trace:,.0f} decisions/s "
          f"(decide is {anchor / with_trace:.1f}x the anchor's cost)")
    print(f"outcome() without trace:                {no_trace:,.0f} decisions/s "
          f"({anchor / no_trace:.1f}x the anchor's cost)")

    for k in kernel_names():
        t0 = time.perf_counter()
        leaves = enumerate_space(k)
        dt = time.perf_counter() - t0
        configs = sum(w for *_, w in leaves)
        print(f"enumerate {k:<17} {configs:>20,} configurations in {len(leaves):>7,} cubes, {dt:.2f}s: "
              f"{configs / dt:,.0f} decisions/s equivalent ({configs / dt / anchor:,.0f}x the anchor's rate), "
              f"{len(leaves) / dt:,.0f} cube evaluations/s")

    # the diff of every ordered pair, against a second anchor measured here too: the naive
    # enumeration (the model run from scratch at every node of the decision tree, every
    # widened cube re-explored to minimize); both must give the same result
    pairs = [(a, b) for a in kernel_names() for b in kernel_names() if a != b]
    naive_pairs = {("v6.3", "proposal-2023-04"), ("v6.3", "v6.9")} if "--quick" in sys.argv else set(pairs)
    for a, b in pairs:
        t0 = time.perf_counter()
        r = diff(a, b)
        dt = time.perf_counter() - t0
        line = (f"diff {a} -> {b}: {dt:.2f}s for {r.configurations:,} configurations "
                f"({len(space_ops((a, b)))} operations, {r.leaves:,} cubes, {len(r.groups)} groups, "
                f"{r.changed:,} changed; {r.configurations / dt:,.0f} decisions/s equivalent)")
        if (a, b) in naive_pairs:
            t0 = time.perf_counter()
            rn = diff(a, b, naive=True)
            dn = time.perf_counter() - t0
            same = {**r.to_json(), "seconds": 0} == {**rn.to_json(), "seconds": 0}
            line += (f"\n   anchor: naive enumeration of the same diff: {dn:.2f}s; the diff takes "
                     f"{dt / dn:.2f}x the anchor's time ({dn / dt:.1f}x faster), same result: {same}")
        print(line)
        t0 = time.perf_counter()
        diff(a, b, minimal=False)
        print(f"   same diff without minimizing the conditions: {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
