"""`hookdebate fetch MSGID|URL -o FILE.mbox`: a whole thread from lore as an mbox (like b4 mbox)."""
from __future__ import annotations


def register(subparsers) -> None:
    from hookdebate.options import add_lore_options

    p = subparsers.add_parser("fetch", help="write a lore thread to an mbox file",
                              description="Fetch the whole thread of MSGID or a lore URL and write it as an mboxrd file.")
    p.add_argument("source", metavar="MSGID|URL")
    p.add_argument("-o", "--output", required=True, help="mbox file to write")
    add_lore_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.options import make_client
    from scraper.lore import fetch_thread

    # like b4 mbox, a complete thread mbox is written as the server gave it, without the
    # /T/ page fetched alongside to check it (--http-limit check_thread_page=1 asks for it;
    # ingest checks by default): a transfer cut short is still found and recovered
    n = fetch_thread(args.source, args.output, make_client(args, check_thread_page=0), args.lore_url)
    print(f"{args.output}: {n} messages")
    return 0
