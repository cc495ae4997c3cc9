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
    from hookdebate.errors import HookdebateError
    from hookdebate.search import parse
    from hookdebate.store import Store

    if args.limit < 1 or args.hits < 1:
        raise HookdebateError("--limit and --hits must be 1 or more")
    query = parse(" ".join(args.query))
    store = Store(resolve_db(args), create=False)
    for sender in query.senders:
        if not store.find_people(sender):
            raise HookdebateError(f"search: f:{sender}: no stored message is from anyone of that name or address")
    hits = store.search_messages(query, limit=args.hits)
    threads: dict[int, dict] = {}
    for h in hits:
        t = threads.get(h["thread"])
        if t is None:
            if len(threads) >= args.limit:
                continue
            info = store.thread_info(h["thread"])
            t = threads[h["thread"]] = {"id": info["id"], "root": info["root"], "subject": info["subject"],
                                        "messages": info["messages"], "people": info["people"],
                                        "first": info["first"], "last": info["last"], "hits": 0,
                                        "message_ids": []}
        t["hits"] += 1
        t["message_ids"].append(h["message_id"])
    shown = [h for h in hits if h["thread"] in threads]
    if args.json:
        print(json.dumps({"query": query.text, "threads": list(threads.values()), "hits": shown},
                         indent=2, ensure_ascii=False))
        return 0
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
