"""hookdebate replay: run scenarios through the kernel permission model."""
from __future__ import annotations

import json
import sys

from hookdebate.options import add_json_option


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replay",
        help="replay scenarios through the kernel permission model",
        description=(
            "Decide scenarios with the executable model of the kernel's LSM/capability/bpf() "
            "permission semantics and print each outcome with the ordered trace of kernel checks. "
            "Without ID or --file, replays the whole scenario catalog (data/scenarios)."
        ),
    )
    p.add_argument("id", nargs="?", help="a scenario id from the catalog")
    p.add_argument("--file", help="JSON file holding a list of scenarios (or one scenario)")
    p.add_argument("--kernel", help="decide under this kernel variant instead of the scenario's own")
    p.add_argument("--across", action="store_true",
                   help="replay the scenario(s) under every kernel variant: one row per variant")
    p.add_argument("--all", action="store_true", help="replay the whole catalog (the default without ID or --file)")
    p.add_argument("--list", action="store_true", help="list catalog scenarios and kernels, decide nothing")
    add_json_option(p)
    p.set_defaults(run=run)


def _scenarios(args):
    from semantics import ScenarioError, load_scenarios
    from semantics.catalog import by_id, catalog

    if args.file and args.id:
        raise ScenarioError("give a scenario ID or --file, not both")
    if args.file:
        return load_scenarios(args.file)
    if args.id and not args.all:
        return [by_id(args.id).scenario]
    return [e.scenario for e in catalog()]


def run(args) -> int:
    from semantics import kernel_names, replay
    from semantics.catalog import catalog

    if args.list:
        entries = catalog()
        if args.json:
            print(json.dumps({"kernels": kernel_names(),
                              "scenarios": [{"id": e.id, "kernel": e.scenario.kernel, "claim": e.claim,
                                             "source": e.source, "concepts": list(e.concepts),
                                             "expected": dict(e.expected)} for e in entries]}, indent=2))
        else:
            print("kernels: " + ", ".join(kernel_names()))
            w = max(len(e.id) for e in entries)
            for e in entries:
                print(f"{e.id:<{w}}  {e.scenario.kernel or '-':<17} {e.claim}")
        return 0
    from semantics import ScenarioError, known_kernel

    if args.across and args.kernel:
        raise ScenarioError("give --kernel or --across, not both")
    if args.kernel:
        known_kernel(args.kernel)
    scenarios = _scenarios(args)
    if args.file and not scenarios:
        raise ScenarioError(f"{args.file}: holds no scenario")
    whole_catalog = not args.file and (args.all or not args.id)
    if args.across:
        return _across(scenarios, args.json)
    verdicts = []
    for s in scenarios:
        try:
            verdicts.append(replay(s, args.kernel))
        except ScenarioError as exc:
            if not (whole_catalog and args.kernel):
                raise
            # replaying the whole catalog under another kernel: some scenarios name hooks
            # or types that kernel lacks; say so and go on
            print(f"hookdebate: skipped {s.id} under {args.kernel}: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps([v.to_json() for v in verdicts], indent=2))
        return 0
    out = sys.stdout
    for n, v in enumerate(verdicts):
        if n:
            out.write("\n")
        out.write(f"{v.scenario_id}  [{v.kernel}]  => {v.outcome}\n")
        cw = max((len(t.check) for t in v.trace), default=0)
        cw = min(cw, 60)
        for i, t in enumerate(v.trace, 1):
            out.write(f"  {i:>2}. {t.check:<{cw}}  {t.result}\n")
            out.write(f"      {'':<{cw}}  models {t.models}\n")
    if len(verdicts) > 1:
        out.write(f"\n{len(verdicts)} scenarios: " + ", ".join(
            f"{o} {sum(1 for v in verdicts if v.outcome == o)}" for o in sorted({v.outcome for v in verdicts})) + "\n")
    return 0


def _across(scenarios, as_json: bool) -> int:
    from semantics import across

    out = [(s.id, across(s)) for s in scenarios]
    if as_json:
        print(json.dumps([{"id": sid, "across": [r.to_json() for r in rows]} for sid, rows in out], indent=2))
        return 0
    for n, (sid, rows) in enumerate(out):
        if n:
            print()
        print(sid)
        kw = max(len(r.kernel) for r in rows)
        ow = max(len(r.outcome) for r in rows)
        for r in rows:
            d = r.decided_by
            why = f"{d.check} -> {d.result} ({d.models})" if d else "every check passes"
            extra = f"; ignored: {', '.join(r.ignored)}" if r.ignored else ""
            print(f"  {r.kernel:<{kw}}  {r.outcome:<{ow}}  {why}{extra}")
    return 0
