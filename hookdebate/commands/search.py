"""`hookdebate search QUERY`: full text over the store's FTS5 index, lei-style prefixes."""
from __future__ import annotations

import json

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    import argparse

    p = subparsers.add_parser(
        "search", help="full-text search of the stored mail (lei prefixes: s: f: b: nq: q: d: m:)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Search the stored messages with the query syntax of public-inbox/lei; matches are "
        "grouped by thread, best first, with the matching snippets.\n\n"
        "  word \"a phrase\" word*   subject or body        s:word   subject\n"
        "  b:word     body            nq:word  new text only  q:word   quoted text only\n"
        "  f:text     From: name or address contains text     m:MSGID  that message\n"
        "  d:YYYYMMDD..YYYYMMDD   dated in that range (UTC; either end may be left out)\n\n"
        "Terms are ANDed. Words are stemmed (\"hooks\" finds \"hook\").\n"
        "Example: hookdebate search 's:\"authoritative hooks\" f:paul nq:nack d:20230101..'")
    p.add_argument("query", nargs="+", help="the query (several arguments are joined with spaces)")
    p.add_argument("-n", "--limit", type=int, default=20, metavar="N", help="at most N threads (default 20)")
    p.add_argument("--hits", type=int, default=200, metavar="N",
                   help="consider at most the N best matching messages (default 200)")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.search import search

    data = search(resolve_db(args), " ".join(args.query), args.limit, args.hits)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    threads = {t["id"]: t for t in data["threads"]}
    shown = data["hits"]
    if not threads:
        print("no message matches")
        return 0
    by_thread: dict[int, list] = {}
    for h in shown:
        by_thread.setdefault(h["thread"], []).append(h)
    for tid, t in threads.items():
        print(f"{t['subject'][:90]}  <{t['root']}>")
        print(f"  {t['hits']} matching of {t['messages']} messages, {(t['first'] or '')[:10]} .. {(t['last'] or '')[:10]}")
        for h in by_thread[tid][:3]:
            print(f"    {h['from']}  {(h['date'] or '')[:10]}  <{h['message_id']}>")
            if h["snippet"]:
                print(f"      {h['snippet'][:200]}")
        print()
    print(f"{len(shown)} message{'' if len(shown) == 1 else 's'} in {len(threads)} thread"
          f"{'' if len(threads) == 1 else 's'}")
    return 0
