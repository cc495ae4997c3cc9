"""`hookdebate thread [MSGID]`: the thread as an indented tree, like lore's /T/ view."""
from __future__ import annotations

import json
from datetime import timezone

from hookdebate.options import add_db_option, add_json_option, resolve_db


MAX_INDENT = 64  # levels of indentation shown; deeper replies say their depth (a 20,000-deep chain)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "thread",
        help="show a stored thread as an indented reply tree",
        description="Show a stored thread as an indented reply tree (author, date, subject), "
        "like lore's /T/ view. MSGID is any Message-ID of the thread; without it the "
        "database must hold one thread.",
    )
    p.add_argument("msgid", nargs="?", help="any Message-ID of the thread (with or without <>)")
    # the other commands take --thread; accept it here too so a script can pass it everywhere
    p.add_argument("--thread", dest="thread_option", metavar="MSGID", help="the same as MSGID")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from analysis import build_tree, merge_identities
    from hookdebate.pipeline import select_thread
    from hookdebate.store import Store

    from hookdebate.errors import HookdebateError

    if args.msgid and args.thread_option and args.msgid.strip("<> ") != args.thread_option.strip("<> "):
        raise HookdebateError("give the thread once: MSGID or --thread, not two different ones")
    store = Store(resolve_db(args), create=False)
    messages = select_thread(store, args.msgid or args.thread_option)
    tree = build_tree(messages)
    people, author_of = merge_identities(messages)
    names = {p.person_id: p.name for p in people}
    by_id = {m.message_id: m for m in messages}
    rows = []
    depth = tree.depths()
    for mid in tree.order:
        m = by_id[mid]
        rows.append({
            "message_id": mid,
            "parent_id": tree.parent_of.get(mid),
            "depth": depth[mid],
            "author": names.get(author_of.get(mid), m.from_name or m.from_address),
            "date": m.date.isoformat() if m.date else m.date_raw,
            "subject": m.subject,
        })
    if args.json:
        print(json.dumps({"root": tree.root_id, "messages": rows}, indent=2))
        return 0
    for row in rows:
        m = by_id[row["message_id"]]
        # UTC as lore's /T/ view shows it: authors' own zones would make the order look wrong
        date = _utc_text(m.date) if m.date else row["date"]
        d = row["depth"]
        indent = "  " * d if d <= MAX_INDENT else "  " * MAX_INDENT + f"[depth {d}] "
        print(f"{indent}{row['author']}  {date}  {row['subject']}")
    print(f"\n{len(rows)} message{'' if len(rows) == 1 else 's'}, root <{tree.root_id}>")
    return 0


def _utc_text(d) -> str:
    """'YYYY-MM-DD HH:MM UTC'; in the date's own zone when UTC would be past year 9999 or
    before year 1 (a Message made by a library caller: the parser flags such dates)."""
    try:
        return d.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except OverflowError:
        return f"{d.year:04d}-" + d.strftime("%m-%d %H:%M %z")  # (%Y of year 1 is '1' on glibc)
