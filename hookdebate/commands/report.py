"""`hookdebate report`: the debate as a fair summary (Markdown, HTML or JSON).

With no arguments: a fresh database gets the embedded thread, and the Markdown
report goes to stdout (the README's first command): laid out for the terminal when stdout
is one (hookdebate.report.terminal), the Markdown itself for pipes and -o FILE."""
from __future__ import annotations

import json
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


def build_report(store, thread=None, pictures: bool = False, kernel: str | None = None):
    """(report dict, ThreadAnalysis, LinkResult, pictures {name: svg bytes}). kernel: judge against
    that variant instead of the one the thread's date picks (analysis.link.link_claims)."""
    from analysis.link import change_impact, link_claims, verdict_rows
    from hookdebate.pipeline import analyze_thread
    from hookdebate.report import build

    analysis = analyze_thread(store, thread)
    linked = link_claims(analysis, kernel=kernel)
    scen, rows = verdict_rows(linked)
    store.save_verdicts(analysis.tree.root_id, scen, rows)
    report = build(analysis, linked, change_impact(), variant_diff=variant_diff_for(store, analysis, linked))
    report["debate"] = debate_of(store, analysis.tree.root_id)
    pics = {}
    if pictures:
        from hookdebate.report import pictures as P

        pics = {"argument-map": P.argument_map(report), "timeline": P.timeline(report)}
    return report, analysis, linked, pics


def debate_of(store, root: str) -> dict | None:
    """The debate the thread belongs to (other versions, follow-ups), when it has more than this
    thread: {"threads", "versions", "first", "command"}; None otherwise."""
    from hookdebate.debate import gather_debate
    from hookdebate.errors import HookdebateError

    try:
        d = gather_debate(store, root, stance=False)
    except HookdebateError:
        return None
    if len(d["threads"]) < 2:
        return None
    return {"threads": len(d["threads"]), "versions": d["debate"]["versions"], "first": d["debate"]["first"],
            "outcome": d["outcome"]["state"], "command": f"hookdebate report --debate '<{root}>'"}


def _semantics_fingerprint() -> str:
    """Changes whenever the model's code or its kernel data changes (so a cached diff is never stale)."""
    import semantics
    from hookdebate.pipeline import code_fingerprint

    return code_fingerprint(Path(semantics.__file__).parent, semantics.data_dir() / "kernels")


def variant_diff_for(store, analysis, linked) -> dict:
    """The change-impact summary from the thread's current kernel to the variant of the series it
    debates (analysis.link.variant_diff, i.e. semantics.diff), cached in the store's state table
    under the pair and a fingerprint of the model. Only that one pair is enumerated: a pair that
    involves v6.9 (the BPF token's larger space, about 290 G configurations) costs ten times
    v6.3 -> proposal-2023-04 (README's measured table: 1.0-1.3 s against 0.1 s on an idle machine)."""
    from analysis.link import proposal_kernel_for, thread_date, variant_diff

    frm, to = linked.kernel, proposal_kernel_for(analysis)
    if not to:
        d = thread_date(analysis)
        return {"from": frm, "to": None,
                "note": (f"No proposal variant is modeled for a thread dated {d.isoformat() if d else 'without dates'}, "
                         f"so there is no change-impact summary for it; "
                         + (f"it is judged against {frm}. " if frm else "no modeled kernel holds for its date. ") +
                         "`hookdebate diff --from A --to B` compares any two variants.")}
    key = f"report.variant_diff:{frm}->{to}"
    fp = _semantics_fingerprint()
    cached = store.get_state(key)
    if cached:
        try:
            c = json.loads(cached)
            if c.get("fingerprint") == fp:
                return c["diff"]
        except (ValueError, KeyError, AttributeError):
            pass
    result = variant_diff(frm, to)
    store.set_state(key, json.dumps({"fingerprint": fp, "diff": result}), cache=True)
    return result


def run(args) -> int:
    from hookdebate.errors import HookdebateError
    from hookdebate.pipeline import ingest_default_if_empty
    from hookdebate.report import render_html, render_markdown
    from hookdebate.store import Store

    fmt = _format(args)
    if args.debate and args.archive:
        raise HookdebateError("give --debate MSGID (one debate) or --archive (the whole archive), not both")
    if args.debate:
        return _run_debate(args, fmt)
    if args.archive:
        return _run_archive(args, fmt)
    store = Store(resolve_db(args))
    ingest_default_if_empty(store)
    want_pics = fmt == "html" or (args.pictures and fmt == "md")
    if want_pics and fmt == "md" and not args.output:
        raise HookdebateError("--pictures with Markdown needs -o FILE (the pictures go next to it)")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
    report, analysis, linked, pics = build_report(store, args.thread, want_pics)
    if args.map:
        _write_map(analysis, linked, args.map)
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = render_html(report, pics)
    else:
        links = {}
        if pics:
            from hookdebate.report import pictures as P

            for name, data in pics.items():
                path = args.output.with_name(f"{args.output.stem}-{name}.svg")
                path.write_bytes(data)
                links[name] = path.name
                draw = P.argument_map if name == "argument-map" else P.timeline
                path.with_suffix(".png").write_bytes(draw(report, "png"))
        text = render_markdown(report, links) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    elif fmt == "md" and sys.stdout.isatty():
        from hookdebate.report.terminal import print_markdown

        print_markdown(text)
    else:
        sys.stdout.write(text)
    return 0


def _run_archive(args, fmt: str) -> int:
    from hookdebate.errors import HookdebateError
    from hookdebate.report import archive
    from hookdebate.store import Store

    if args.thread or args.map:
        raise HookdebateError("--archive reports the whole archive: no --thread or --map with it")
    if args.per_year < 1:
        raise HookdebateError("--per-year must be 1 or more")
    store = Store(resolve_db(args), create=False)
    store.ensure_thread_index()
    data = archive.build_archive(store, args.per_year)
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = archive.render_html(data, archive.picture(data) if data["all"] else None)
    else:
        link = None
        if args.output and data["all"] and args.pictures:
            pic = args.output.with_name(f"{args.output.stem}-contested.svg")
            pic.write_bytes(archive.picture(data))
            link = pic.name
        elif args.pictures and not args.output:
            raise HookdebateError("--pictures with Markdown needs -o FILE (the pictures go next to it)")
        text = archive.render_markdown(data, link) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _write_map(analysis, linked, prefix: Path) -> None:
    from analysis import argmap

    g = argmap.build_map(analysis, linked)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{prefix}.json").write_text(argmap.dumps_json(argmap.to_json(g)))
    argmap.to_graphml(g, f"{prefix}.graphml")
    Path(f"{prefix}.dot").write_text(argmap.to_dot(g))
    Path(f"{prefix}.aif.json").write_text(argmap.dumps_json(argmap.to_aif(g)))


def _run_debate(args, fmt: str) -> int:
    from hookdebate.debate import gather_debate
    from hookdebate.report import debate as R
    from hookdebate.store import Store

    data = gather_debate(Store(resolve_db(args), create=False), args.debate)
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = R.render_html(data, R.pictures(data))
    else:
        links = {}
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            for name, svg in R.pictures(data).items():
                path = args.output.with_name(f"{args.output.stem}-{name}.svg")
                path.write_bytes(svg)
                links[name] = path.name
        text = R.render_markdown(data, links) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
