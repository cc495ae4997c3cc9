"""`hookdebate claims [--thread MSGID] [--json]`: the claims made in a thread."""
from __future__ import annotations

import json
import textwrap

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "claims",
        help="the claims in a thread: type, cited concepts, what each answers and how",
        description="Every claim (a sentence of a participant's own new text that asserts, "
        "demands, proposes or asks) with its type, the kernel concepts it cites, the quoted "
        "passage it answers (message and author where that passage first appeared) and whether "
        "it attacks or supports it, and, for claims about kernel behaviour, the scenarios of the "
        "semantics model they were linked to with each verdict (outcome, kernel version, whether "
        "it supports the claim). The analysis and the verdicts (with their traces of modeled kernel "
        "checks) are stored in the database. Without --thread the database must hold one thread.",
    )
    p.add_argument("--thread", metavar="MSGID", help="any Message-ID of the thread (with or without <>)")
    p.add_argument("--type", choices=("factual", "normative", "proposal", "question"),
                   help="only claims of this type")
    p.add_argument("--cites", metavar="CONCEPT", help="only claims citing this concept id (e.g. CAP_BPF)")
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.reporting import thread_claims
    from hookdebate.store import Store

    rows = thread_claims(Store(resolve_db(args), create=False), args.thread)
    if args.type:
        rows = [c for c in rows if c["type"] == args.type]
    if args.cites:
        rows = [c for c in rows if args.cites in c["cites"]]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    current = None
    for c in rows:
        if c["message_id"] != current:
            current = c["message_id"]
            print(f"\n{c['author']} <{current}>")
        tag = c["type"]
        if c["relation"] and c["responds_to"]:
            tag += f", {c['relation']}s {c['responds_to']['author'] or 'quoted text'}"
        cites = f"  [{', '.join(c['cites'])}]" if c["cites"] else ""
        print(textwrap.fill(f"({tag}) {c['text']}{cites}", width=100, initial_indent="  ",
                            subsequent_indent="    "))
        for v in c["verdicts"]:
            judged = {True: "supports the claim", False: "contradicts the claim"}.get(v["supports_claim"],
                                                                                    "cannot judge the claim")
            print(f"      model: {v['scenario']} under {v['kernel']}: {v['outcome']} ({judged})")
    print(f"\n{len(rows)} claim(s)")
    return 0
