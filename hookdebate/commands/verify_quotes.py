"""`hookdebate verify-quotes ARTICLE`: find each passage an LWN article quotes in the
stored thread's messages (exact, then fuzzy), with the message, whether the person
the article attributes it to wrote it, and the passages that match nothing."""
from __future__ import annotations

import json

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    from hookdebate.options import add_lore_options

    p = subparsers.add_parser(
        "verify-quotes", help="check an LWN article's quotes against the stored thread",
        description="ARTICLE is an LWN article: its URL (https://lwn.net/Articles/N/, fetched through the "
        "scraper's HTTP client and cache, honouring robots.txt), a saved LWN HTML page (parsed by the "
        "scraper's LWN parser: block and inline quotes, and the message each links to), or a text/Markdown "
        "rendering of one ('>' block quotes and quoted runs are its quotes). Each quote is looked up in "
        "the thread's messages: exactly, then fuzzily (rapidfuzz); the output names the message (lore URL), "
        "its author, whether the article's attributed speaker is that author, whether it is the message "
        "the article links to, and the quotes that match nothing in the thread.")
    p.add_argument("article", help="the article: LWN URL, saved LWN HTML page, or text file")
    p.add_argument("--thread", help="any Message-ID of the thread (without it, and with several threads stored, "
                   "each quote is looked for anywhere in the stored archive)")
    p.add_argument("--threshold", type=float, default=88.0, help="fuzzy score needed (0-100, default 88)")
    add_lore_options(p)
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.quotes import verify_quotes
    from hookdebate.report import lore_url

    checked = verify_quotes(resolve_db(args), args.article, args.thread, args.threshold, args)
    results, archive, ids = checked.results, checked.archive, checked.message_ids
    if args.json:
        print(json.dumps([dict(r.to_json(), url=lore_url(r.message_id) if r.message_id else None)
                          for r in results], indent=2))
        return 0
    for r in results:
        where = (f"{r.method} ({r.score:.0f}) in {lore_url(r.message_id)} by {r.author}" if r.message_id
                 else f"NOT in the stored archive (best fuzzy score {r.score:.0f}): a paraphrase, or a thread not stored"
                 if archive else f"NOT in this thread (best fuzzy score {r.score:.0f}): from an earlier thread or paraphrase")
        who = "" if r.speaker is None else (f"; article attributes it to {r.speaker}: "
                                             + ("matches" if r.speaker_is_author else
                                                "unverified" if r.speaker_is_author is None else "DOES NOT match"))
        link = ""
        if r.linked_message_id:
            link = ("; it is the message the article links to" if r.link_matches else
                    f"; the article links it to {lore_url(r.linked_message_id)}"
                    + ("" if r.linked_message_id in ids else " (not in this thread)"))
        print(f"- \u201c{' '.join(r.text.split())[:100]}\u201d\n    {where}{who}{link}")
    found = sum(1 for r in results if r.message_id)
    print(f"\n{found} of {len(results)} quotes found in the {'stored archive' if archive else 'thread'}; "
          f"{sum(1 for r in results if r.speaker_is_author)} attributed correctly, "
          f"{sum(1 for r in results if r.speaker_is_author is False)} misattributed"
          + (f"; {sum(1 for r in results if r.link_matches)} of {sum(1 for r in results if r.linked_message_id)} "
             "linked quotes are in the message the article links to" if any(r.linked_message_id for r in results) else ""))
    return 0
