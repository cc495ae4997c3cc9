"""hookdebate diff: change impact of one kernel variant against another."""
from __future__ import annotations

import json

from hookdebate.options import add_json_option


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "diff",
        help="every configuration whose outcome differs between two kernel variants",
        description=(
            "Enumerate the bounded configuration space (capabilities per namespace, the task's namespace, "
            "the sysctl, each LSM's return per hook, token options, the operation) under two kernel variants "
            "and list every configuration whose outcome differs, minimized to the fewest distinguishing "
            "fields and grouped by operation and outcome change."
        ),
    )
    p.add_argument("--from", dest="from_kernel", default="v6.3", help="kernel variant to compare from (default v6.3)")
    p.add_argument("--to", dest="to_kernel", default="proposal-2023-04", help="kernel variant to compare to (default proposal-2023-04)")
    p.add_argument("--limit", type=int, default=3, help="conditions shown per group in the text output (default 3; 0 = all)")
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from semantics import diff, known_kernel

    for k in (args.from_kernel, args.to_kernel):
        known_kernel(k)
    r = diff(args.from_kernel, args.to_kernel)
    if args.json:
        print(json.dumps(r.to_json(), indent=2))
        return 0
    pct = 100.0 * r.changed / r.configurations if r.configurations else 0.0
    print(f"{r.from_kernel} -> {r.to_kernel}: {r.changed:,} of {r.configurations:,} configurations change outcome "
          f"({pct:.2f}%), {len(r.groups)} groups, {r.leaves:,} cubes, {r.seconds:.2f}s")
    current = None
    for g in r.groups:
        if g.op_text() != current:
            current = g.op_text()
            print(f"\n{current}")
        n_conds = len(g.conditions)
        shown = g.condition_texts(None if args.limit == 0 else args.limit)   # describe only what is printed
        n_min = n_conds - g.unminimized
        extra = f", {g.unminimized} more cubes not minimized" if g.unminimized else ""
        print(f"  {g.from_outcome} -> {g.to_outcome}   ({g.configurations:,} configurations, {n_min} minimal condition sets{extra})")
        if g.why:
            print(f"    why: {g.why}")
        for c in shown:
            print(f"    when {c}")
        if len(shown) < n_conds:
            print(f"    ... {n_conds - len(shown)} more (--limit 0 or --json)")
    return 0
