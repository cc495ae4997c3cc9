"""Benchmark of the semantics model: decisions/s and the time of the full diff.

Anchor, measured in the same run: json.loads() of one contract scenario (the
cheapest thing a caller must do before any decision).  Every rate is also
printed as a ratio against it.

    .venv/bin/python bench/bench_semantics.py
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

    for a, b in (("v6.3", "proposal-2023-04"), ("v6.3", "v6.9"), ("proposal-2023-04", "v6.9")):
        t0 = time.perf_counter()
        r = diff(a, b)
        dt = time.perf_counter() - t0
        print(f"diff {a} -> {b}: {dt:.2f}s for {r.configurations:,} configurations "
              f"({len(space_ops((a, b)))} operations, {r.leaves:,} cubes, {len(r.groups)} groups, "
              f"{r.changed:,} changed; {r.configurations / dt:,.0f} decisions/s equivalent)")
        t0 = time.perf_counter()
        diff(a, b, minimal=False)
        print(f"   same diff without minimizing the conditions: {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
