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
    from hookdebate.errors import HookdebateError
    from hookdebate.pipeline import thread_listing
    from hookdebate.store import Store

    if args.msgid and args.thread_option and args.msgid.strip("<> ") != args.thread_option.strip("<> "):
        raise HookdebateError("give the thread once: MSGID or --thread, not two different ones")
    data, messages = thread_listing(Store(resolve_db(args), create=False), args.msgid or args.thread_option)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    rows = data["messages"]
    for row, m in zip(rows, messages):
        # UTC as lore's /T/ view shows it: authors' own zones would make the order look wrong
        date = _utc_text(m.date) if m.date else row["date"]
        d = row["depth"]
        indent = "  " * d if d <= MAX_INDENT else "  " * MAX_INDENT + f"[depth {d}] "
        print(f"{indent}{row['author']}  {date}  {row['subject']}")
    print(f"\n{len(rows)} message{'' if len(rows) == 1 else 's'}, root <{data['root']}>")
    return 0


def _utc_text(d) -> str:
    """'YYYY-MM-DD HH:MM UTC'; in the date's own zone when UTC would be past year 9999 or
    before year 1 (a Message made by a library caller: the parser flags such dates)."""
    try:
        return d.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except OverflowError:
        return f"{d.year:04d}-" + d.strftime("%m-%d %H:%M %z")  # (%Y of year 1 is '1' on glibc)
