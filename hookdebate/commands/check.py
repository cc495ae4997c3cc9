"""hookdebate check: permission properties per kernel variant, with counterexamples."""
from __future__ import annotations

import json

from hookdebate.options import add_json_option


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check",
        help="check permission properties per kernel variant (counterexample when violated)",
        description=(
            "Check, over the bounded configuration space, properties such as 'no LSM return turns a deny "
            "of the kernel's own checks into an allow' for each kernel variant; a violated property comes "
            "with a minimal counterexample scenario and the verdicts that show it."
        ),
    )
    p.add_argument("--kernel", action="append", help="kernel variant (repeatable; default: all)")
    p.add_argument("--trace", action="store_true", help="print the counterexample verdicts' traces")
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from semantics import check, kernel_names, known_kernel

    kernels = [known_kernel(k) for k in args.kernel] if args.kernel else kernel_names()
    results = {k: check(k) for k in kernels}
    if args.json:
        print(json.dumps([r.to_json() for k in kernels for r in results[k]], indent=2))
        return 0
    for n, k in enumerate(kernels):
        if n:
            print()
        print(f"== {k}")
        for r in results[k]:
            print(f"  [{'holds' if r.holds else 'FAILS'}] {r.name}")
            print(f"      {r.detail}")
            if r.counterexample is not None:
                print(f"      counterexample: {json.dumps(r.counterexample)}")
                for v in r.verdicts:
                    print(f"      {v.scenario_id} [{v.kernel}] => {v.outcome}")
                    if args.trace:
                        for t in v.trace:
                            print(f"          {t.check}: {t.result}  ({t.models})")
    return 0
