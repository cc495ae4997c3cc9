"""`hookdebate positions [--thread MSGID] [--json]`: who stands where on the proposal."""
from __future__ import annotations

import json
import textwrap

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "positions",
        help="each participant's stance toward the thread's proposal, with verbatim evidence",
        description="Each participant's stance (support / oppose / mixed / neutral) toward the "
        "thread's proposal (the root message's subject and cover letter), with confidence and "
        "verbatim evidence from their own words, and the stance of every message. The analysis "
        "is stored in the database. Without --thread the database must hold one thread.",
    )
    p.add_argument("--thread", metavar="MSGID", help="any Message-ID of the thread (with or without <>)")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.reporting import thread_positions
    from hookdebate.store import Store

    data = thread_positions(Store(resolve_db(args), create=False), args.thread)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"Thread <{data['thread']}>")
    print(textwrap.fill("Proposal: " + data["proposal"], width=100, subsequent_indent="  "))
    print()
    for p in data["participants"]:
        print(f"{p['name']}  ({', '.join(p['addresses'])})  {p['messages']} message(s)")
        print(f"  stance: {p['stance']}  (confidence {p['confidence']:.2f})")
        for e in p["evidence"]:
            print(textwrap.fill(f"\u201c{e['quote']}\u201d <{e['message_id']}>", width=100,
                                initial_indent="    ", subsequent_indent="      "))
    counts: dict[str, int] = {}
    for m in data["messages"]:
        counts[m["stance"]] = counts.get(m["stance"], 0) + 1
    print("\nMessages: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0
