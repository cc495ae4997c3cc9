"""`hookdebate threads [filters] [--sort ...] [--json]`: the stored threads, from the index."""
from __future__ import annotations

import json

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    from hookdebate.archive import SORTS, add_filter_options

    p = subparsers.add_parser(
        "threads", help="list the stored threads (filters, sorts) from the thread index",
        description="List the stored threads: root Message-ID, subject, messages, people, first and last "
        "message (UTC), and for analyzed threads how contested the debate is (see `hookdebate analyze`). "
        "Read from the thread index kept at ingest; nothing is re-threaded.")
    add_filter_options(p)
    p.add_argument("--sort", choices=SORTS, default="recent",
                   help="recent: last message first (default); size: most messages; people: most people; "
                   "contested: most contested analyzed debates first (unanalyzed last)")
    p.add_argument("-n", "--limit", type=int, default=None, metavar="N", help="at most N threads")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.archive import filters_from
    from hookdebate.errors import HookdebateError
    from hookdebate.store import Store

    if args.limit is not None and args.limit < 1:
        raise HookdebateError("--limit must be 1 or more")
    store = Store(resolve_db(args), create=False)
    store.ensure_thread_index()
    rows = store.list_threads(**filters_from(args, store), sort=args.sort, limit=args.limit)
    if args.json:
        print(json.dumps({"threads": rows}, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no thread matches")
        return 0
    print(f"{'last (UTC)':<16}  {'msgs':>5} {'ppl':>4} {'contest':>7}  subject  <root>")
    for r in rows:
        last = (r["last"] or "")[:16].replace("T", " ")
        c = "" if r["contested"] is None else f"{r['contested']:.2f}"
        print(f"{last:<16}  {r['messages']:>5} {r['people']:>4} {c:>7}  {r['subject'][:70]}  <{r['root']}>")
    print(f"\n{len(rows)} thread{'' if len(rows) == 1 else 's'}")
    return 0
