"""`hookdebate ingest SOURCE...`: mbox, mbox.gz, maildir, public-inbox epochs, lore, LWN.

Its options and one call, hookdebate.ingest.ingest_sources() (which says what a source's
transaction holds and what a bad message does)."""
from __future__ import annotations

import json


def register(subparsers) -> None:
    from hookdebate.options import add_db_option, add_json_option, add_lore_options

    p = subparsers.add_parser(
        "ingest", help="store the messages of mboxes, maildirs, public-inbox epochs, lore threads, LWN articles",
        description="SOURCE is a path (mbox, mbox.gz, maildir, public-inbox git epoch(s), saved LWN "
                    "page), a lore/public-inbox message URL, a list URL (https://lore.kernel.org/<list>/, with "
                    "--since), an LWN article URL, or a Message-ID.")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--since", help="only messages dated on or after DATE (YYYY-MM-DD); "
                   "required for a whole list URL")
    add_lore_options(p)
    add_db_option(p)
    add_json_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.ingest import ingest_sources, parse_since
    from hookdebate.options import make_client, resolve_db
    from hookdebate.store import Store

    since = parse_since(args.since)   # a bad date is an error before the database is made
    report = ingest_sources(Store(resolve_db(args)), args.sources, make_client(args), since=since,
                            lore_url=args.lore_url, progress=not args.no_progress)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for r in report:
            older_note = f", {r['older_than_since']} older than --since" if r["older_than_since"] else ""
            bad_note = (f", {r['left_out']} left out" if r["left_out"] else "") + \
                (f", {r['flagged']} flagged" if r["flagged"] else "")
            print(f"{r['source']}: {r['kind']}, {r['read']} read, {r['added']} added, "
                  f"{r['skipped']} already stored, {r['duplicates']} archive duplicates{older_note}{bad_note}; "
                  f"{r['seconds']:.2f} s, {r['messages_per_second'] or 0} messages/s")
    # some of a source could not be stored (each said in a warning line); the rest is
    return 1 if any(r["left_out"] for r in report) else 0
