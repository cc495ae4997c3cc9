"""`hookdebate analyze [filters] [--jobs N | --scheduler tcp://HOST:PORT]`: every selected thread."""
from __future__ import annotations

import json
import os
import sys

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    from hookdebate.archive import add_filter_options

    p = subparsers.add_parser(
        "analyze", help="analyze every selected thread (all cores, or a Dask cluster), resumably",
        description="Analyze every stored thread the filters select (the same filters as `hookdebate threads`) "
        "and store the results, as `positions` would for each thread alone. Threads whose stored analysis was "
        "made from their present messages by this code are skipped, so an interrupted run continues where it "
        "stopped. Runs on all cores by default (--jobs N), or on a Dask cluster (--scheduler, or "
        "$DASK_SCHEDULER_ADDRESS; needs hookdebate[distributed] here and on the workers).")
    add_filter_options(p)
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="worker processes on this machine (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: $DASK_SCHEDULER_ADDRESS if set)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate import analyze_all
    from hookdebate.archive import filters_from
    from hookdebate.errors import HookdebateError
    from hookdebate.store import Store

    scheduler = args.scheduler or (os.environ.get("DASK_SCHEDULER_ADDRESS") if args.jobs is None else None)
    if args.scheduler and args.jobs is not None:
        raise HookdebateError("give --jobs (this machine) or --scheduler (a Dask cluster), not both")
    if args.jobs is not None and args.jobs < 1:
        raise HookdebateError("--jobs must be 1 or more")
    store = Store(resolve_db(args), create=False)
    store.ensure_thread_index()
    rows = store.list_threads(**filters_from(args, store))
    progress = not args.no_progress and sys.stderr.isatty()
    report = analyze_all.run(store, rows, jobs=args.jobs, scheduler=scheduler, progress=progress)
    data = report.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        rate = f", {data['messages_per_second']} msg/s" if data["messages_per_second"] else ""
        print(f"{data['selected']} threads selected: {data['analyzed']} analyzed ({data['messages']} messages), "
              f"{data['skipped_current']} already current, {len(data['failed'])} failed; "
              f"{data['seconds']:.1f} s on {data['jobs']} {data['backend']} worker"
              f"{'' if data['jobs'] == 1 else 's'}{rate}")
        for f in data["failed"]:
            print(f"  failed: <{f['root']}>: {f['error']}", file=sys.stderr)
    return 1 if data["failed"] else 0
