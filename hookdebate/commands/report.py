"""`hookdebate report`: the debate as a fair summary (Markdown, HTML or JSON).

With no arguments: a fresh database gets the embedded thread, and the Markdown
report goes to stdout (the README's first command): laid out for the terminal when stdout
is one (hookdebate.report.terminal), the Markdown itself for pipes and -o FILE. Its options and
one call of hookdebate.reporting (thread_report, archive_report or debate_report)."""
from __future__ import annotations

import sys
from pathlib import Path

from hookdebate.options import add_db_option, resolve_db


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="report a stored thread: proposal, positions, timeline, replayed claims",
        description="Report a stored thread as Markdown (default), one self-contained HTML file, or JSON: "
        "what was proposed, who argued what (with quotes linking to lore), the timeline, the key claims "
        "with their verdicts and replay traces in the kernel model, the change impact between kernel "
        "variants, the argument map and the outcome. An empty database first gets the embedded thread.")
    p.add_argument("--thread", help="any Message-ID of the thread (needed when the database holds several)")
    p.add_argument("--format", choices=("md", "html", "json"), default=None,
                   help="output format (default: from -o's suffix, else md; md on a terminal is laid out "
                   "for it, raw Markdown to -o and pipes)")
    p.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    p.add_argument("--map", type=Path, metavar="PREFIX",
                   help="also write the argument map as PREFIX.json, .graphml, .dot, .aif.json")
    p.add_argument("--archive", action="store_true",
                   help="instead of one thread: the most contested debates of the archive per year, from the "
                   "stored analyses (`hookdebate analyze`), with a picture")
    p.add_argument("--per-year", type=int, default=5, metavar="N", help="with --archive: debates per year (default 5)")
    p.add_argument("--pictures", action="store_true",
                   help="draw the map and timeline pictures (always on for HTML; for md, written next to -o)")
    p.add_argument("--debate", metavar="MSGID",
                   help="report the whole debate the message belongs to (series versions, follow-ups, ledger, "
                   "outcome; see `hookdebate debate`) instead of one thread")
    add_db_option(p)
    p.set_defaults(run=run)


def _format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        return {".html": "html", ".htm": "html", ".json": "json"}.get(args.output.suffix.lower(), "md")
    return "md"


def run(args) -> int:
    from hookdebate.errors import HookdebateError
    from hookdebate.store import Store

    fmt = _format(args)
    if args.debate and args.archive:
        raise HookdebateError("give --debate MSGID (one debate) or --archive (the whole archive), not both")
    if args.debate:
        from hookdebate.reporting import debate_report

        text = debate_report(Store(resolve_db(args), create=False), args.debate, fmt, args.output)
        return _emit(text, args.output)
    if args.archive:
        from hookdebate.reporting import archive_report

        if args.thread or args.map:
            raise HookdebateError("--archive reports the whole archive: no --thread or --map with it")
        if args.per_year < 1:
            raise HookdebateError("--per-year must be 1 or more")
        text = archive_report(Store(resolve_db(args), create=False), args.per_year, fmt, args.output, args.pictures)
        return _emit(text, args.output)
    from hookdebate.reporting import thread_report

    text = thread_report(Store(resolve_db(args)), args.thread, fmt, args.output, args.pictures, args.map)
    return _emit(text, args.output, terminal=fmt == "md")


def _emit(text: str, output: Path | None, terminal: bool = False) -> int:
    """To -o FILE, else stdout: laid out for a terminal (a thread's Markdown) or as it is."""
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    elif terminal and sys.stdout.isatty():
        from hookdebate.report.terminal import print_markdown

        print_markdown(text)
    else:
        sys.stdout.write(text)
    return 0
