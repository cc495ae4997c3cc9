"""The report of a thread, of the archive, of a debate: gathered from the store, analysed, linked
to the kernel model and laid out (`hookdebate report` is its options and one of thread_report(),
archive_report(), debate_report(); each returns the text, writes the pictures next to ``output``)."""
from __future__ import annotations

import json
from pathlib import Path


def build_report(store, thread=None, pictures: bool = False, kernel: str | None = None):
    """(report dict, ThreadAnalysis, LinkResult, pictures {name: svg bytes}). kernel: judge against
    that variant instead of the one the thread's date picks (analysis.link.link_claims)."""
    from analysis.impact import change_impact
    from hookdebate.report import build

    analysis, linked = linked_analysis(store, thread, kernel)
    report = build(analysis, linked, change_impact(), variant_diff=variant_diff_for(store, analysis, linked))
    report["debate"] = debate_of(store, analysis.tree.root_id)
    pics = {}
    if pictures:
        from hookdebate.report import pictures as P

        pics = {"argument-map": P.argument_map(report), "timeline": P.timeline(report)}
    return report, analysis, linked, pics


def linked_analysis(store, thread=None, kernel: str | None = None):
    """(ThreadAnalysis, LinkResult): the thread's analysis (stored or computed, hookdebate.pipeline)
    linked to the kernel model (analysis.link.link_claims; kernel: that variant instead of the one
    the thread's date picks), its scenarios and verdicts saved in the store."""
    from analysis.link import link_claims, verdict_rows
    from hookdebate.pipeline import analyze_thread

    analysis = analyze_thread(store, thread)
    linked = link_claims(analysis, kernel=kernel)
    scenarios, verdicts = verdict_rows(linked)
    store.save_verdicts(analysis.tree.root_id, scenarios, verdicts)
    return analysis, linked


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
    debates (analysis.impact.variant_diff, i.e. semantics.diff), cached in the store's state table
    under the pair and a fingerprint of the model. Only that one pair is enumerated: a pair that
    involves v6.9 (the BPF token's larger space, about 290 G configurations) costs about eight times
    v6.3 -> proposal-2023-04 (README's measured table: 1.6-2.5 s against 0.22-0.24 s on an idle machine)."""
    from analysis.impact import variant_diff
    from analysis.link import proposal_kernel_for, thread_date

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


def report_fingerprint() -> str:
    """What a thread's laid-out report and claims are made by beyond its analysis (whose digest
    covers analysis/ and its data): hookdebate's code (the report's gathering and layout, the
    commands), the kernel model's code and the data it and the link rules read (data/kernels,
    data/link, data/scenarios, data/debates). Computed once per process."""
    global _REPORT_FINGERPRINT
    if _REPORT_FINGERPRINT is None:
        import importlib.util

        from hookdebate.pipeline import DATA_DIR, code_fingerprint

        semantics_dir = Path(importlib.util.find_spec("semantics").origin).parent  # without importing it
        _REPORT_FINGERPRINT = code_fingerprint(Path(__file__).parent, semantics_dir, DATA_DIR / "kernels",
                                               DATA_DIR / "link", DATA_DIR / "scenarios", DATA_DIR / "debates")
    return _REPORT_FINGERPRINT


_REPORT_FINGERPRINT: str | None = None


def report_digest(store, thread_id: int, kind: str) -> str:
    """What a cached report of the thread (kind md, html, json), its claims rows ("claims") or its
    positions ("positions") must have been made from (hookdebate.store_reports): the thread's Message-IDs and the analysis
    code (pipeline.thread_digest), report_fingerprint() (which covers the HTML's pictures too:
    hookdebate.report.svg draws them, no library), and for a report the archive's messages (its
    debate section gathers the thread's other versions and follow-ups from all of them). Nothing
    cached is drawn by matplotlib (Markdown's PNG files are written afresh each time)."""
    from hookdebate.pipeline import thread_digest

    digest = thread_digest(store, thread_id) + ":" + report_fingerprint()
    return digest if kind in ("claims", "positions") else digest + ":" + store.archive_key()


def stored_or_made(store, thread: str | None, kind: str, make):
    """What `kind` ("claims", "positions") of the thread the store keeps (hookdebate.store_reports),
    while the thread's messages and the code are those it was made from (report_digest); else
    make(), kept for next time."""
    from hookdebate.pipeline import cache_key, select_thread_id

    store.ensure_thread_index()
    with store.snapshot():
        tid = select_thread_id(store, thread)
        key, digest = cache_key(tid), report_digest(store, tid, kind)
        data = store.load_report_cache(key, kind, digest)
    if data is None:
        data = make()
        store.save_report_cache(key, kind, digest, data)
    return data


def thread_positions(store, thread: str | None = None) -> dict:
    """`positions --json` of the thread (analysis.positions_json), kept in the store (stored_or_made)
    and served from there without reading the stored analysis back; made from the analysis
    (stored or computed, hookdebate.pipeline) otherwise."""
    def make() -> dict:
        from analysis import positions_json
        from hookdebate.pipeline import analyze_thread

        return positions_json(analyze_thread(store, thread))

    return stored_or_made(store, thread, "positions", make)


def thread_claims(store, thread: str | None = None) -> list[dict]:
    """`claims --json` of the thread: its claims with their verdicts (analysis.link.claims_with_verdicts),
    kept in the store (stored_or_made); made afresh otherwise (linked to the kernel model, the
    verdicts saved)."""
    def make() -> list[dict]:
        from analysis.link import claims_with_verdicts

        return claims_with_verdicts(*linked_analysis(store, thread))

    return stored_or_made(store, thread, "claims", make)


def thread_report(store, thread=None, fmt: str = "md", output: Path | None = None, pictures: bool = False,
                  map_prefix: Path | None = None) -> str:
    """One thread's report as Markdown, HTML or JSON; an empty store first gets the embedded thread.
    Pictures: always in HTML; for md with ``pictures``, SVG and PNG files next to ``output``.
    map_prefix: also the argument map as PREFIX.json, .graphml, .dot, .aif.json.
    The text is kept in the store (hookdebate.store_reports) and served from there while the
    thread's messages, the archive's and the code are the ones it was made from (report_digest);
    a report that writes files beside it (md pictures, map_prefix) is always made afresh."""
    from hookdebate.errors import HookdebateError
    from hookdebate.pipeline import cache_key, ingest_default_if_empty, select_thread_id

    ingest_default_if_empty(store)
    want_pics = fmt == "html" or (pictures and fmt == "md")
    if want_pics and fmt == "md" and not output:
        raise HookdebateError("--pictures with Markdown needs -o FILE (the pictures go next to it)")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
    cache = None  # (key, digest) when the text is kept in the store
    if not map_prefix and not (fmt == "md" and pictures):
        store.ensure_thread_index()
        with store.snapshot():  # the thread, its digest and the cached text as of one state of the store
            tid = select_thread_id(store, thread)
            cache = (cache_key(tid), report_digest(store, tid, fmt))
            text = store.load_report_cache(cache[0], fmt, cache[1])
        if text is not None:
            return text
    text, analysis, linked = _thread_report_text(store, thread, fmt, output, want_pics)
    if map_prefix:
        _write_map(analysis, linked, map_prefix)
    if cache:
        store.save_report_cache(cache[0], fmt, cache[1], text)
    return text


def _thread_report_text(store, thread, fmt: str, output: Path | None, want_pics: bool):
    """(the report's text, ThreadAnalysis, LinkResult), made afresh."""
    from hookdebate.report import render_html, render_markdown

    report, analysis, linked, pics = build_report(store, thread, want_pics)
    if fmt == "json":
        from hookdebate.report.data import json_default

        return json.dumps(report, indent=2, ensure_ascii=False, default=json_default) + "\n", analysis, linked
    if fmt == "html":
        return render_html(report, pics), analysis, linked
    links = {}
    if pics:
        from hookdebate.report import pictures as P

        for name, data in pics.items():  # the SVG the HTML report inlines, and matplotlib's PNG of it
            path = output.with_name(f"{output.stem}-{name}.svg")
            path.write_bytes(data)
            links[name] = path.name
            draw = P.argument_map if name == "argument-map" else P.timeline
            path.with_suffix(".png").write_bytes(draw(report, "png"))
    return render_markdown(report, links) + "\n", analysis, linked


def archive_report(store, per_year: int, fmt: str = "md", output: Path | None = None, pictures: bool = False) -> str:
    """The most contested debates of the archive per year, from the stored analyses."""
    from hookdebate.errors import HookdebateError
    from hookdebate.report import archive

    store.ensure_thread_index()
    data = archive.build_archive(store, per_year)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return archive.render_html(data, archive.picture(data) if data["all"] else None)
    link = None
    if output and data["all"] and pictures:
        pic = output.with_name(f"{output.stem}-contested.svg")
        pic.write_bytes(archive.picture(data))
        link = pic.name
    elif pictures and not output:
        raise HookdebateError("--pictures with Markdown needs -o FILE (the pictures go next to it)")
    return archive.render_markdown(data, link) + "\n"


def debate_report(store, msgid: str, fmt: str = "md", output: Path | None = None) -> str:
    """The whole debate a message belongs to (hookdebate.debate.gather_debate)."""
    from hookdebate.debate import gather_debate
    from hookdebate.report import debate as R

    data = gather_debate(store, msgid)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return R.render_html(data, R.pictures(data))
    links = {}
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        for name, svg in R.pictures(data).items():
            path = output.with_name(f"{output.stem}-{name}.svg")
            path.write_bytes(svg)
            links[name] = path.name
    return R.render_markdown(data, links) + "\n"


def _write_map(analysis, linked, prefix: Path) -> None:
    from analysis import argmap

    g = argmap.build_map(analysis, linked)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{prefix}.json").write_text(argmap.dumps_json(argmap.to_json(g)))
    argmap.to_graphml(g, f"{prefix}.graphml")
    Path(f"{prefix}.dot").write_text(argmap.to_dot(g))
    Path(f"{prefix}.aif.json").write_text(argmap.dumps_json(argmap.to_aif(g)))
