"""`hookdebate debate MSGID|ARTICLE [--json]`: one debate across threads and series versions."""
from __future__ import annotations

import json
import textwrap

from hookdebate.options import add_db_option, add_json_option, resolve_db


def register(subparsers) -> None:
    from hookdebate.options import add_lore_options

    p = subparsers.add_parser(
        "debate", help="gather the debate a thread belongs to: series versions, follow-ups, outcome",
        description="Gather, from the stored archive, the debate the message belongs to: the versions "
        "of its series (b4's rules: change-id, subject and author within a year, RESEND; and renames "
        "found through the cover letter's links to earlier versions, '(was ...)' subjects, identical "
        "patch titles, another author continuing the numbering), and the threads that follow up on "
        "it (pull requests listing its patches, Fixes: and Revert of its patches, the author's "
        "postings linking it, a later series of the author's taking it up again under a new "
        "numbering), each with how it was linked, the evidence and a confidence. Per "
        "version: date, patches, who took part, trailers given, each person's stance; the "
        "objection ledger (raised in vN, addressed in a later changelog or the author's reply, "
        "objector agreeing later) and the outcome (applied, merged, pull request, reverted, NACK "
        "standing, refused, withdrawn, replaced by a later series, abandoned). TARGET is a Message-ID, a lore URL, or an LWN article "
        "(URL or saved page): then every debate the article links.")
    p.add_argument("target", metavar="MSGID|ARTICLE", help="Message-ID (with or without <>), lore URL, or LWN article")
    p.add_argument("--overrides", metavar="FILE", help="debates TOML file adding or cutting links (see data/debates/example.toml)")
    p.add_argument("--no-stance", action="store_true", help="skip the per-version stance analysis (and the ledger): faster")
    p.add_argument("--min-confidence", type=float, default=None, metavar="X",
                   help="links below X (default 0.5) are listed as related, not part of the debate")
    add_lore_options(p)
    add_db_option(p)
    add_json_option(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from hookdebate.debate import target_debates
    from hookdebate.errors import HookdebateError

    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        raise HookdebateError(f"--min-confidence {args.min_confidence}: expected a number from 0 to 1")
    article, data = target_debates(resolve_db(args), args.target, args, overrides=args.overrides,
                                   stance=not args.no_stance, min_confidence=args.min_confidence)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if article is None:
        print_debate(data)
        return 0
    print(f"Article: {article.title} ({article.url or args.target}): {len(article.message_ids)} linked messages, "
          f"{len(data['debates'])} debate(s), {len(data['not_stored'])} not stored")
    for d in data["debates"]:
        print()
        print_debate(d)
    return 0


def print_debate(d: dict) -> None:
    deb = d["debate"]
    vs = deb["versions"]
    print(f"Debate: {deb['title']}  (v{vs[0]}..v{vs[-1]}, {len(d['threads'])} threads, {deb['from']} .. {deb['to']})"
          if vs else f"Debate: {deb['title']}  ({len(d['threads'])} threads)")
    if len(deb["names"]) > 1:
        print("  names: " + " -> ".join(repr(n) for n in deb["names"]))
    print("\nThreads:")
    for t in d["threads"]:
        tag = f"v{t['version']}" if t["kind"] == "version" else t["kind"]
        print(f"  {tag:<13} {t['date']}  {t['subject'][:80]}  <{t['root']}>  ({t['messages']} msgs)")
        link = t["link"]
        if link:
            print(textwrap.fill(f"{link['how']} ({link['confidence']:.2f}): {link['evidence']}", width=110,
                                initial_indent=" " * 16, subsequent_indent=" " * 18))
    if d["versions"]:
        print("\nVersions:")
        for v in d["versions"]:
            given = [f"{t['kind']} {t['by']}" for t in v["trailers"] if not t["carried"]]
            print(f"  v{v['version']:<3} {v['date']}  {v['patches']} patch(es), {v['messages']} msgs, "
                  f"{len(v['participants'])} people" + (f"; {'; '.join(given)}" if given else ""))
    stance_rows = [p for p in d["participants"] if any("stance" in x for x in p["by_version"].values())]
    if stance_rows:
        print("\nStance over versions:")
        for p in stance_rows:
            cells = [f"v{v}:{x['stance']}" for v, x in sorted(p["by_version"].items(), key=lambda kv: int(kv[0])) if "stance" in x]
            print(textwrap.fill(f"{p['name']}: " + ", ".join(cells), width=110, subsequent_indent="    "))
    if d["objections"]:
        print("\nObjections:")
        for o in d["objections"]:
            print(textwrap.fill(f"v{o['version']} {o['by']} ({o['stance']}): \u201c{o['claim'][:200]}\u201d <{o['message_id']}>",
                                width=110, initial_indent="  ", subsequent_indent="      "))
            a = o["addressed"]
            print(textwrap.fill("addressed: " + (f"{a['how']}: \u201c{a['evidence'][:160]}\u201d" if a else "no trace"),
                                width=110, initial_indent="      ", subsequent_indent="        "))
            g = o["objector_agreed"]
            print("      objector agreed: " + (f"{g['how']}" if g else "no trace"))
    out = d["outcome"]
    print(f"\nOutcome: {out['state']}" + (f" ({out['tree']})" if out.get("tree") else "")
          + (f"; reverted later: {', '.join(out['reverted'])}" if out.get("reverted") and out["state"] != "reverted" else ""))
    if out.get("replaced_by"):
        print(f"  replaced by: {out['replaced_by']['subject']}  <{out['replaced_by']['root']}>")
    for e in out["evidence"][:12]:
        print(textwrap.fill(f"{e['what']}: {e.get('quote', '')[:160]} <{e.get('message_id')}>", width=110,
                            initial_indent="  ", subsequent_indent="    "))
