"""hookdebate report (md/html/json), HTML escaping, headless-Chromium check, verify-quotes."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from hookdebate.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests/data/seed/lwn-unprivileged-bpf-authoritative-hooks.txt"


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "h.db"
    monkeypatch.setenv("HOOKDEBATE_DB", str(path))
    return path


def test_report_no_args_ingests_and_prints_markdown(db, capsys):
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    for heading in ("## What was proposed", "## Who argued what", "## Timeline",
                    "## Key claims, replayed in the kernel model", "## Outcome"):
        assert heading in out
    assert "Paul Moore" in out and "Andrii Nakryiko" in out
    assert "https://lore.kernel.org/all/CAHC9VhQHmdZYnR=+rX-3FcRh127mhJt=jAnototfTiuSoOTptg@mail.gmail.com/" in out
    assert re.search(r"\u21d2 \*\*(EPERM|allow|ENOMEM)\*\*", out)  # a replay with its outcome
    assert "cap_capable(" in out  # traces are shown
    # the timeline is in UTC and reads in order (authors post from different zones)
    stamps = re.findall(r"^- (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \*\*", out, re.M)
    assert stamps == sorted(stamps)
    # every message is linked from the timeline (a series' patches share one row)
    timeline = out.split("## Timeline")[1].split("\n## ")[0]
    assert len(re.findall(r"\]\(https://lore\.kernel\.org/all/", timeline)) == 52
    # verdicts were persisted
    from hookdebate.store import Store

    assert Store(db).db["verdicts"].count > 0
    # second run: database not empty, same report
    assert main(["report"]) == 0
    assert capsys.readouterr().out == out


def test_report_json_contract(db, tmp_path):
    out = tmp_path / "r.json"
    assert main(["report", "-o", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["messages"] == 52 and len(r["participants"]) >= 5
    s = r["link_summary"]
    assert s["share_with_verdict"] >= 0.8
    assert s["supports"] + s["contradicts"] + s["cannot_judge"] == s["with_verdict"]
    for c in r["claims"]:
        for v in c["verdicts"]:
            assert v["trace"] and v["scenario"] in r["scenarios"]
    assert any(row["outcomes"].get("proposal-2023-04") != row["outcomes"].get("v6.3") for row in r["change_impact"])


def test_report_map_exports(db, tmp_path):
    prefix = tmp_path / "map" / "m"
    assert main(["report", "-o", str(tmp_path / "r.md"), "--map", str(prefix)]) == 0
    for ext in (".json", ".graphml", ".dot", ".aif.json"):
        assert Path(f"{prefix}{ext}").stat().st_size > 100


def _hostile_analysis():
    from analysis import analyze
    from scraper import iter_mbox

    msgs = list(iter_mbox(ROOT / "data/threads/authoritative-hooks.mbox"))
    evil = "<script>window.PWNED=1</script><img src=x onerror=\"window.PWNED=2\">"
    bad = replace(msgs[5], body=msgs[5].body + "\n\nCAP_BPF in a user namespace is not enough " + evil + "\n")
    msgs[5] = bad
    return analyze(msgs), evil


def _html(tmp_path):
    from analysis.impact import change_impact, variant_diff
    from analysis.link import link_claims
    from hookdebate.report import build, render_html
    from hookdebate.report import pictures as P

    a, evil = _hostile_analysis()
    linked = link_claims(a)
    rep = build(a, linked, change_impact(), variant_diff=variant_diff(linked.kernel, "proposal-2023-04"))
    # the hostile text reaches the report through a claim and a participant's evidence
    rep["participants"][0]["evidence"].append({"message_id": "x", "url": "https://x/", "quote": evil})
    html = render_html(rep, {"argument-map": P.argument_map(rep), "timeline": P.timeline(rep)})
    path = tmp_path / "report.html"
    path.write_text(html)
    return path, html, evil


def test_html_escapes_mail_text(tmp_path):
    path, html, evil = _html(tmp_path)
    assert evil not in html
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=&quot;", "")
    assert "&lt;script&gt;" in html
    assert 'id="positions"' in html and "data:image/svg+xml;base64," in html


@pytest.mark.browser
def test_html_in_headless_chromium(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium not installed")
    path, html, evil = _html(tmp_path)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    # the DOM as the browser built it: positions table, map picture, no live script from mail
    dom = subprocess.run([chromium, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                         timeout=180).stdout
    assert '<table id="positions">' in dom
    assert 'id="argument-map"' in dom and 'id="timeline"' in dom and 'id="variant-diff"' in dom
    assert "<script" not in dom.lower() and "PWNED" in dom  # present as text only
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1280,2000", path.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10000


def test_markdown_pictures_written(db, tmp_path):
    out = tmp_path / "r.md"
    assert main(["report", "-o", str(out), "--pictures"]) == 0
    svg = tmp_path / "r-argument-map.svg"
    assert svg.exists() and b"<svg" in svg.read_bytes()
    png = tmp_path / "r-timeline.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "![argument-map](r-argument-map.svg)" in out.read_text()


def test_bad_thread_is_user_error(db, capsys):
    assert main(["report", "--thread", "nope@nowhere"]) == 2
    assert "nope@nowhere" in capsys.readouterr().err


def test_verify_quotes_on_seed(db, capsys):
    assert main(["verify-quotes", str(SEED), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    found = [r for r in rows if r["message_id"]]
    assert len(found) >= 5
    assert all(r["speaker_is_author"] is not False for r in found)
    paul = [r for r in rows if r["text"].startswith("One of the hallmarks of the LSM")]
    assert paul and paul[0]["author"] == "Paul Moore" and paul[0]["method"] == "exact"
    missing = [r for r in rows if not r["message_id"]]
    assert any("single-user system" in r["text"] for r in missing)  # 2019, an earlier thread


def test_quote_check_finds_fuzzy_and_flags_misattribution():
    from analysis.quotes import check_quotes
    from scraper import iter_mbox
    from mailrecords import ArticleQuote

    msgs = list(iter_mbox(ROOT / "data/threads/authoritative-hooks.mbox"))
    q = [ArticleQuote("One of the hallmarks of the LSM has always been that it is non authoritative, it cannot "
                      "unilaterally grant access", "block", None, "Casey Schaufler")]
    r = check_quotes(q, msgs)[0]
    assert r.method == "fuzzy" and r.speaker_is_author is False and "paul" in (r.author or "").lower()


def test_report_variant_diff_section(db, tmp_path, monkeypatch):
    """The change-impact summary from the thread's kernel (v6.3) to the proposal's variant,
    computed by semantics.diff, in JSON, Markdown and HTML; cached in the store."""
    out = tmp_path / "r.json"
    assert main(["report", "-o", str(out)]) == 0
    d = json.loads(out.read_text())["variant_diff"]
    assert (d["from"], d["to"]) == ("v6.3", "proposal-2023-04")
    assert d["changed"] > 0 and d["configurations"] > d["changed"]
    assert d["by_direction"]["newly allowed"] > 0 and d["by_direction"]["newly denied"] > 0
    assert sum(g["configurations"] for g in d["groups"]) == d["changed"]
    ops = {g["operation"] for g in d["groups"]}
    assert {"bpf(BPF_MAP_CREATE)", "bpf(BPF_BTF_LOAD)"} <= ops
    for g in d["groups"]:
        assert g["conditions"] and len(g["conditions"]) <= g["condition_sets"]
        ex = g["example_verdicts"]
        assert ex["v6.3"]["outcome"] == g["from_outcome"] and ex["proposal-2023-04"]["outcome"] == g["to_outcome"]
        assert ex["proposal-2023-04"]["trace"]
    # the headline grant the debate is about: a positive bpf_map_create_security lets a task without caps in
    grants = [g for g in d["groups"] if g["operation"] == "bpf(BPF_MAP_CREATE)" and g["direction"] == "newly allowed"]
    assert any("bpf_map_create_security hook > 0" in c for g in grants for c in g["conditions"])
    # cached: the next report does not enumerate again
    import analysis.impact as L

    monkeypatch.setattr(L, "variant_diff", lambda *a, **k: (_ for _ in ()).throw(AssertionError("not cached")))
    md = tmp_path / "r.md"
    assert main(["report", "-o", str(md)]) == 0
    text = md.read_text()
    assert "## What the proposal changes: v6.3 \u2192 proposal-2023-04" in text
    assert "| `bpf(BPF_MAP_CREATE)` |" in text and "newly allowed" in text
    html = tmp_path / "r.html"
    assert main(["report", "-o", str(html)]) == 0
    h = html.read_text()
    assert 'id="variant-diff"' in h and "bpf_map_create_security hook &gt; 0" in h


def test_report_variant_diff_note_without_proposal(tmp_path):
    """A 2022 thread has no modeled proposal variant: the section says so instead of enumerating."""
    from hookdebate.reporting import build_report
    from hookdebate.store import Store
    from scraper import iter_mbox

    st = Store(tmp_path / "l.db")
    st.add_messages(iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox"))
    rep, *_ = build_report(st, kernel="v6.3")
    d = rep["variant_diff"]
    assert d["to"] is None and "No proposal variant" in d["note"]
    from hookdebate.report import render_markdown

    assert "No proposal variant" in render_markdown(rep, {})


def _report_of(tmp_path, mbox: str, msgs=None, kernel="v6.3"):
    """The report of a tests/data thread; the 2022 threads have no modeled kernel by their date
    (v6.0), so they are judged against v6.3 as asked unless kernel=None."""
    from hookdebate.reporting import build_report
    from hookdebate.report import render_html, render_markdown
    from hookdebate.store import Store
    from scraper import iter_mbox

    st = Store(tmp_path / f"{Path(mbox).stem}.db")
    st.add_messages(msgs if msgs is not None else iter_mbox(ROOT / "tests/data" / mbox))
    rep, *_ = build_report(st, kernel=kernel)
    return rep, render_markdown(rep, {}), render_html(rep, {})


def test_report_user_namespace_thread_judged_on_its_own_subject(tmp_path):
    """A user-namespace thread: claims about creating a user namespace are replayed in the model's
    create_user_ns() scenarios; claims that only mention namespaces got a stand-in bpf() call from
    the linker, and those verdicts are set aside (not findings); the bpf() change-impact sections
    are left out."""
    from analysis.link import operation_family

    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    assert "## Change impact between kernel variants" not in md and "Change impact" not in html
    assert "What the proposal changes" not in md and 'id="variant-diff"' not in html
    assert "\u2192 None" not in md
    assert rep["findings"]["on_topic"] is True and rep["findings"]["subjects"] == ["user namespaces"]
    scen = rep["scenarios"]
    found = [c for c in rep["claims"] if c["finding"] in ("supports", "contradicts")]
    assert len(found) >= 3
    assert all(operation_family(scen[c["verdicts"][0]["scenario"]]["scenario"]) == "user namespaces" for c in found)
    aside = [c for c in rep["claims"] if c["fit"] == "unrelated"]
    assert aside and all(c["finding"] is None for c in aside)
    assert all(operation_family(scen[c["verdicts"][0]["scenario"]]["scenario"]) == "bpf" for c in aside)
    keysec = md.split("## Key claims")[1].split("\n## ")[0]
    assert "create_user_ns()" in keysec and "bpf(" not in keysec
    assert set(rep["key_claim_ids"]) <= {c["id"] for c in found}
    assert "The permission model replayed" in rep["in_brief"] and "no claim in this thread is about those" not in rep["in_brief"]
    assert "set aside" in md


def test_report_stand_in_replays_are_labelled(tmp_path):
    """On a bpf() thread, a claim that names no bpf() operation but is replayed with a stand-in
    scenario is shown with that caveat and is never a finding; findings are direct fits."""
    rep, md, html = _report_of(tmp_path, "bpf-map-loophole-2022.mbox")
    by = {c["id"]: c for c in rep["claims"]}
    assert all(by[i]["fit"] == "direct" for i in rep["key_claim_ids"])
    assert any(c["fit"] == "direct" for c in rep["claims"])
    for c in rep["claims"]:
        if c["fit"] == "direct":
            assert "bpf" in c["text"].lower() or "map" in c["text"].lower() or "BTF" in c["text"]
        if c["fit"] in ("general", "unrelated"):
            assert c["finding"] not in ("supports", "contradicts")
            assert all(v["supports_claim"] is None for v in c["verdicts"])
    assert rep["findings"]["stand_in"] > 0 and "stand-in replays are shown for context" in md
    assert "## What the proposal changes\n" in md  # no "v6.3 -> None" heading
    assert "\u2192 None" not in md and "\u2192 None" not in html


def test_report_without_a_modeled_kernel_says_which_it_would_need(tmp_path):
    rep, md, html = _report_of(tmp_path, "bpf-map-loophole-2022.mbox", kernel=None)
    assert rep["kernel"] is None and rep["findings"]["supports"] == rep["findings"]["contradicts"] == 0
    keysec = md.split("## Key claims")[1].split("\n## ")[0]
    assert "cannot judge: no modeled kernel for v6.0" in keysec and "was current" not in md
    assert "judged against None" not in md


def test_names_operation():
    from analysis.link import names_operation

    assert names_operation("the bpf() syscall denies it", None)
    assert names_operation("BPF_MAP_CREATE needs CAP_BPF", None)
    assert names_operation("a call to security_vm_enough_memory() is granted", None)
    assert not names_operation("denying operations on protected inodes keeps the link", None)
    assert names_operation("we need userspace to honor failed create_user_ns()", None)
    assert names_operation("unshare(CLONE_NEWUSER) then fails", None)
    assert not names_operation("we need userspace to honor failed mount() calls", None)
    assert not names_operation("KP wants bpf_getxattr() for BPF LSM programs", None)


def test_in_brief_and_outcome_single_author_series(tmp_path):
    """One author, a series and nobody else: no 'made the proposal; .' and no 'last word'."""
    from scraper import iter_mbox

    msgs = [m for m in iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox")]
    root = msgs[0]
    rep, md, html = _report_of(tmp_path, "x", [root])
    assert rep["messages"] == 1
    assert "nobody else took part" in rep["in_brief"]
    assert "last word" not in rep["outcome"]
    assert "1 messages" not in md
    assert re.search(r"\u2014 1 message, on \d{4}-\d\d-\d\d\.", md)
    assert "nobody replied" in rep["outcome"]


def test_in_brief_lists_names_and_versions():
    from hookdebate.report.data import _in_brief, join_names, series_version

    assert join_names(["A"]) == "A" and join_names(["A", "B", "C"]) == "A, B and C"
    assert series_version("[PATCH v5 0/4] Introduce x") == 5
    assert series_version("[PATCH bpf-next v12 1/3] y") == 12 and series_version("[PATCH] z") is None
    f = {"supports": 0, "contradicts": 0, "replayed": 0, "unrelated": 0, "on_topic": False}
    ps = [{"name": n, "addresses": [a], "stance": s} for n, a, s in
          [("Fred", "fred@x", "support"), ("Eric", "e@x", "oppose"), ("Serge", "s@x", "oppose"),
           ("kernel test robot", "lkp@intel.com", "neutral")]]
    t = _in_brief(ps, "Fred", f, "[PATCH v5 0/4] Introduce security_create_user_ns()", 9)
    assert t.startswith("Fred posted version 5 of the proposal; Eric and Serge opposed it.")
    assert "kernel test robot took no side" not in t and "Automated mail from kernel test robot" in t


def test_outcome_proposer_last_word_not_repeated(tmp_path):
    rep, md, html = _report_of(tmp_path, "securityfs-linefeed-nak.mbox")
    o = rep["outcome"]
    assert "The last word went to the proposer" in o and "proposer's last message" not in o
    assert o.count("Just ignore this patch") == 1


def test_timeline_folds_a_patch_series(tmp_path):
    """A series posted in one go is one timeline row linking each patch, not a row per patch."""
    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    timeline = md.split("## Timeline")[1].split("\n## ")[0]
    rows = [x for x in timeline.splitlines() if x.startswith("- ")]
    links = re.findall(r"\]\((https://lore\.kernel\.org/all/[^)]+)\)", timeline)
    assert len(links) == rep["messages"] and len(rows) < rep["messages"]
    assert "patches of the series" in timeline
    assert html.count("<li>") >= len(rows)


def test_pictures_for_a_long_thread_and_set_aside_verdicts(tmp_path):
    """80-message threads: no hairball of reply arcs, a stance legend, message counts per person;
    the argument map shows only verdicts the report stands by (none for a thread not about bpf())."""
    from hookdebate.report import pictures as P

    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    amap = P.argument_map(rep).decode()
    assert "cannot judge" not in amap and "verdicts per person" in amap
    # the verdicts the report stands by, not the stand-ins it set aside
    frederick = sum(c["finding"] == "supports" for c in rep["claims"] if c["author"].startswith("Frederick"))
    assert frederick > 0 and f"model supports {frederick}" in amap
    tl = P.timeline(rep).decode()
    assert "arcs: replies" in tl and "stance" in tl
    assert re.search(r"Eric W\. Biederman \(\d+\)", tl)
    base = rep["timeline"][0]
    long = dict(rep, timeline=[dict(base, message_id=f"m{i}@x", parent=(f"m{i-1}@x" if i else None),
                                    author=("A" if i % 2 else "B")) for i in range(P.MAX_ARCS + 5)])
    tl = P.timeline(long).decode()
    assert f"reply arcs left out for {P.MAX_ARCS + 5} messages" in tl


def test_long_claim_lists_are_capped_and_html_lists_raised_scenarios(db, tmp_path):
    """The embedded thread has dozens of raised scenarios: Markdown and HTML show the first
    LIST_CAP (those about the claim's own operation first) and say how many more the JSON holds."""
    from hookdebate.report.sections import LIST_CAP

    out = tmp_path / "r.json"
    assert main(["report", "-o", str(out)]) == 0
    r = json.loads(out.read_text())
    n = len(r["explicit_scenario_claim_ids"])
    assert n > LIST_CAP
    md = tmp_path / "r.md"
    assert main(["report", "-o", str(md)]) == 0
    sec = md.read_text().split("## Scenarios participants raised")[1].split("\n## ")[0]
    rows = [x for x in sec.splitlines() if x.startswith("- ")]
    assert len(rows) == LIST_CAP + 1 and f"and {n - LIST_CAP} more" in rows[-1]
    h = tmp_path / "r.html"
    assert main(["report", "-o", str(h)]) == 0
    html = h.read_text()
    assert 'id="scenarios"' in html and f"and {n - LIST_CAP} more" in html


def test_outcome_states_merge_nack_and_acks(tmp_path):
    """Who merged it, who NACKed it, who acked it: from the mail (quoted lines, and a mention of
    someone else's NACK, do not count)."""
    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    o = rep["outcome"]
    assert "Merged or applied: Paul Moore (2022-08-16): \u201cI just merged this into the lsm/next tree" in o
    assert "NACKed: Eric W. Biederman (2022-08-17): \u201cI repeat my NACK" in o
    assert "including Eric's NACK" not in o
    assert "The patches carry Acked-by/Reviewed-by tags (from earlier versions) from" in o and ".\u201d." not in o
    assert "Merged or applied" in md.split("## Outcome")[1] and "NACKed" in html


def test_outcome_signals_from_tags_and_bots(tmp_path):
    from scraper import iter_mbox

    msgs = list(iter_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))
    last = msgs[-1]
    msgs[-1] = replace(last, body="> Applied by someone quoted\n\nThe pull request you sent on Mon, 10 Jan 2022:\n\n"
                       "> git://git.kernel.org/pub/scm/x.git tags/y\n\nhas been merged into torvalds/linux.git:\n"
                       "https://git.kernel.org/torvalds/c/abc\n\nNacked-by: Casey Schaufler <casey@schaufler-ca.com>\n")
    rep, md, html = _report_of(tmp_path, "x", msgs)
    o = rep["outcome"]
    assert "Merged or applied:" in o and "has been merged into torvalds/linux.git" in o
    assert "Applied by someone quoted" not in o
    assert "NACKed: Casey Schaufler" in o and "casey@" not in o


def test_timeline_rows_and_html_ids(tmp_path):
    """Replies that only repeat the thread's subject read 'reply'; the HTML has each id once
    (the timeline list and the timeline picture used to share id="timeline")."""
    from hookdebate.report import pictures as P
    from hookdebate.report import render_html

    rep, md, _ = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    timeline = md.split("## Timeline")[1].split("\n## ")[0]
    assert "[reply](https://lore.kernel.org/all/" in timeline
    assert "[Re: [PATCH v5 0/4] Introduce security_create_user_ns()]" not in timeline
    html = render_html(rep, {"argument-map": P.argument_map(rep), "timeline": P.timeline(rep)})
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and "timeline" in ids


def test_last_first_names_read_as_one_person(tmp_path):
    """'Zohar, Mimi' in a From: becomes 'Mimi Zohar', so 'A, B and C' lists stay unambiguous;
    non-ASCII names pass through intact in Markdown and HTML."""
    from hookdebate.report.data import display_name
    from scraper import iter_mbox

    assert display_name("Schaufler, Casey") == "Casey Schaufler"
    assert display_name("GONG, Ruiqi") == "Ruiqi GONG" and display_name("King, Jr.") == "King, Jr."
    assert display_name("Mickaël Salaün") == "Mickaël Salaün"
    msgs = list(iter_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))
    msgs = [replace(m, from_name="Zohar, Mimi") if "zohar" in m.from_address else
            replace(m, from_name="Toke Høiland-Jørgensen") if "casey" in m.from_address else m for m in msgs]
    rep, md, html = _report_of(tmp_path, "x", msgs)
    names = [p["name"] for p in rep["participants"]]
    assert "Zohar, Mimi" not in names and "Zohar, Mimi" not in md
    assert "Toke Høiland-Jørgensen" in md and "Toke Høiland-Jørgensen" in html


def test_what_was_proposed_reads_as_a_sentence(tmp_path):
    """The subject (minus its [PATCH ...] tags) and the cover letter's words, quoted; not
    'subject: body' run together. A thread the model does not cover gets no kernel-variant note."""
    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    sec = md.split("## What was proposed")[1].split("\n## ")[0]
    assert "Frederick Lawler proposed: Introduce security_create_user_ns(). The cover letter opens: \u201c" in sec
    assert "[PATCH v5 0/4]" not in sec and "():" not in sec
    assert 'id="proposal">Frederick Lawler proposed: Introduce security_create_user_ns().' in html
    rep, md, html = _report_of(tmp_path, "xfs-capable-noaudit-reviewed.mbox")
    assert rep["findings"]["on_topic"] is False
    keysec = md.split("## Key claims")[1].split("\n## ")[0]
    assert "predates v6.3" not in keysec


def test_single_message_thread(tmp_path):
    """One patch mail, no reply: no '1 messages', no 'ran 1 message', tags the patch carries are
    not presented as acks given in the thread, the in-body From: line is not the proposal."""
    from scraper import iter_mbox

    root = list(iter_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))[0]
    root = replace(root, body="From: Someone Else <someone@example.org>\n\nThe first line of the patch.\n\n"
                   "Acked-by: Paul Moore <paul@paul-moore.com>\nSigned-off-by: W <w@x>\n---\n foo.c | 1 +\n")
    rep, md, html = _report_of(tmp_path, "x", [root])
    o = rep["outcome"]
    assert o.startswith("The thread is a single message (") and "nobody replied" in o
    assert "in the thread by" not in o and "carry Acked-by/Reviewed-by tags (from earlier versions) from Paul Moore" in o
    sec = md.split("## What was proposed")[1].split("\n## ")[0]
    assert "someone@example.org" not in sec and "opens: \u201cThe first line of the patch." in sec
    assert "0 claims of" not in md


def test_bots_take_no_position(tmp_path):
    """The kernel test robot's build reports are no stance: not in In brief's groups, no stance in
    the table, no 'quote' as evidence."""
    from scraper import iter_mbox

    msgs = list(iter_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))
    msgs = [replace(m, from_name="kernel test robot", from_address="lkp@intel.com",
                    body="Hi,\n\nThank you for the patch! Yet something to improve:\n\n[auto build test ERROR]\n")
            if "zohar" in m.from_address else m for m in msgs]
    rep, md, html = _report_of(tmp_path, "x", msgs)
    assert "kernel test robot took no side" not in rep["in_brief"]
    assert "Automated mail from kernel test robot" in rep["in_brief"]
    assert re.search(r"^\| kernel test robot \(automated\) \| \d+ \| \u2014 \| \u2014 \|$", md, re.M)
    assert "**kernel test robot** is automated mail" in md and "Yet something to improve" not in md.split("## Timeline")[0]
    assert "kernel test robot (automated)</td>" in html and "automated mail; it takes no position" in html


def test_verdict_reason_not_restating_the_replay(db, tmp_path):
    """'replay S under K => EPERM (model supports the claim: claim says ... denied; model: S under
    K: EPERM)' said the replay twice; the reason now stops at what the claim says."""
    md = tmp_path / "r.md"
    assert main(["report", "-o", str(md)]) == 0
    text = md.read_text()
    lines = [x for x in text.splitlines() if re.match(r"  - (trace T\d+(, shown above)?: )?replay `", x)]
    assert lines
    for x in lines:
        sid = re.search(r"replay `([^`]+)`", x).group(1)
        assert x.count(sid) == 1, x
    assert "the claim: claim says the operation is" in text


def test_in_brief_counts_versions_posted_in_the_thread():
    """A v2 posted as a reply in the v1 thread: 'posted versions 1 and 2', not 'the proposal'."""
    from hookdebate.report.data import _in_brief, posted_versions

    tl = [{"author": "Chris", "subject": "[PATCH] selinux: log anon inode class name"},
          {"author": "Paul", "subject": "Re: [PATCH] selinux: log anon inode class name"},
          {"author": "Chris", "subject": "[PATCH v2] selinux: log anon inode class name"},
          {"author": "Chris", "subject": "Re: [PATCH v2] selinux: log anon inode class name"}]
    assert posted_versions(tl, "Chris") == [1, 2]
    f = {"supports": 0, "contradicts": 0, "replayed": 0, "unrelated": 0, "on_topic": False}
    ps = [{"name": "Chris", "addresses": ["c@x"], "stance": "support"},
          {"name": "Paul", "addresses": ["p@x"], "stance": "neutral"}]
    t = _in_brief(ps, "Chris", f, tl[0]["subject"], 4, posted_versions(tl, "Chris"))
    assert t.startswith("Chris posted versions 1 and 2 of the proposal; Paul took no side.")
    assert posted_versions(tl + [{"author": "Chris", "subject": "[PATCH v3 0/2] x"}], "Chris") == [1, 2, 3]
    assert "3 versions (1 to 3)" in _in_brief(ps, "Chris", f, "", 5, [1, 2, 3])


def test_unreadable_or_missing_dates_do_not_break_the_report(tmp_path):
    """A Date header the parser cannot read (or none at all): the report keeps the raw text in
    the timeline, leaves the message off the time axis of the picture, and names no date span."""
    from dataclasses import replace

    from hookdebate.report import pictures as P
    from hookdebate.report.data import utc_day
    from scraper import iter_mbox

    msgs = list(iter_mbox(ROOT / "tests/data/securityfs-linefeed-nak.mbox"))
    broken = [replace(m, date=None, date_raw="not a date") if i % 2 else replace(m, date=None, date_raw=None)
              for i, m in enumerate(msgs)]
    rep, md, html = _report_of(tmp_path, "securityfs-linefeed-nak.mbox", msgs=broken)
    assert rep["date_range"] == []
    assert f"\u2014 {rep['messages']} messages." in md and "on ." not in md and "from  to" not in md
    assert any(t["date"] == "not a date" for t in rep["timeline"])
    assert P.timeline(rep).decode().startswith("<?xml")
    # one readable date among them: the span is that day, the picture has that one message
    some = [msgs[0]] + broken[1:]
    rep, md, html = _report_of(tmp_path / "some", "securityfs-linefeed-nak.mbox", msgs=some)
    assert rep["date_range"] and f"on {utc_day(rep['date_range'][0])}" in md
    assert isinstance(rep["date_range"][0], datetime) and rep["date_range"][0] == rep["date_range"][1]


def test_a_series_sent_over_two_minutes_is_one_timeline_row(tmp_path):
    """git send-email posted 1/8-7/8 at 04:32 and 8/8 at 04:33: one row, eight patches."""
    rep, md, html = _report_of(tmp_path, "../../data/threads/authoritative-hooks.mbox")
    timeline = md.split("## Timeline")[1].split("\n## ")[0]
    assert "posted 8 patches of the series" in timeline
    assert "[PATCH bpf-next 8/8]" not in timeline


def _run_on_a_terminal(args, env):
    """Run hookdebate with stdout on a pseudo-terminal; → what the terminal received."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hookdebate", *args], stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait() == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode("utf-8", "replace")


def test_report_on_a_terminal_is_laid_out_and_raw_markdown_elsewhere(tmp_path):
    """On a terminal the Markdown is rendered (rich): no '## ' heading marks, no '**' emphasis
    marks, no '&gt;' entities or '\\|' escapes; piped and written with -o it is the Markdown
    itself, byte for byte the same."""
    import os

    db = tmp_path / "h.db"
    env = {**os.environ, "HOOKDEBATE_DB": str(db), "NO_COLOR": "1", "COLUMNS": "120"}
    assert main(["ingest", "--db", str(db), str(ROOT / "tests/data/create-user-ns-v5-nack.mbox")]) == 0
    md = tmp_path / "r.md"
    assert main(["report", "--db", str(db), "-o", str(md)]) == 0
    raw = md.read_text()
    assert "## Who argued what" in raw and "**" in raw and "| Participant |" in raw
    piped = subprocess.run([sys.executable, "-m", "hookdebate", "report"], capture_output=True,
                           env=env, check=True).stdout.decode()
    assert piped == raw
    shown = _run_on_a_terminal(["report"], env)
    assert "Who argued what" in shown and "## Who argued what" not in shown
    assert "**" not in shown and "| Participant |" not in shown and "Participant" in shown
    assert "&gt;" not in shown and "\\|" not in shown


def test_argument_map_arrows_in_both_directions_do_not_overlap():
    """A attacks B and B supports A: two curves, not one drawn over the other (before, an attack
    A->B and a support B->A bent to the same side and coincided), each with a head."""
    from hookdebate.report.pictures import argument_map

    def claim(author, to, relation):
        return {"author": author, "verdict": "cannot judge", "relation": relation,
                "responds_to": {"author": to, "message_id": "x", "quote": "q"}}

    svg = argument_map({"claims": [claim("Ann", "Bob", "attack"), claim("Bob", "Ann", "support")]}).decode()
    curves = re.findall(r'd="M ([\d.]+) ([\d.]+) Q ([\d.]+) ([\d.]+) ', svg)
    assert len(curves) == 2
    (_, _, ax_, ay), (_, _, bx, by) = [tuple(map(float, c)) for c in curves]
    assert abs(ax_ - bx) + abs(ay - by) > 20  # control points apart: the curves bend to different sides
    assert svg.count("#d62728") >= 2 and svg.count("#2ca02c") >= 2  # line and head of each colour


def test_terminal_layout_reads_entities_and_escapes_as_text():
    """What the report's Markdown carries (a '-&gt;' in a trace, a '\\|' in a table cell) reads as
    '->' and '|' once laid out for a terminal."""
    import io

    from hookdebate.report.terminal import print_markdown

    out = io.StringIO()
    print_markdown("| check | models |\n|---|---|\n| a \\| b | security_bpf() -&gt; call_int_hook() |\n", out)
    text = out.getvalue()
    assert "a | b" in text and "security_bpf() -> call_int_hook()" in text
    assert "&gt;" not in text and "\\|" not in text


def test_trailers_in_a_quoted_commit_are_not_the_quoters_acks(tmp_path):
    """A reviewer who pastes the commit under review, indented and with its tags, gives none
    of those tags: 'Acked or reviewed in the thread by' names only people who gave one in
    their own mail (the reply is real mail from tests/data with such a paste added)."""
    from dataclasses import replace as dc_replace

    from scraper import iter_mbox

    msgs = list(iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox"))
    root, reply = msgs[0], next(m for m in msgs[1:] if m.from_name != msgs[0].from_name)
    pasted = ("The commit I mean:\n\n    bpf: do the thing\n\n    Acked-by: Someone Else <else@example.org>\n"
              "    Reviewed-by: Another Person <another@example.org>\n\nThis is not how it should be done.\n")
    rep, md, _ = _report_of(tmp_path, "x", [root, dc_replace(reply, body=pasted + reply.body)])
    assert "Someone Else" not in md and "Another Person" not in md
    own = dc_replace(reply, message_id="own-ack@example.org", body=f"Acked-by: {reply.from_name} <{reply.from_address}>\n")
    rep, md, _ = _report_of(tmp_path, "y", [root, own])
    assert reply.from_name.split()[-1] in md.split("Acked or reviewed in the thread by:")[1].split("\n")[0]


def test_both_renderers_follow_one_section_plan(tmp_path):
    """The order, titles and data of the sections are sections.SECTIONS alone: every section has a
    layout in Markdown and in HTML, and a plan in another order (one section's title changed, one
    left out) comes out in that order and with that title in both formats."""
    from hookdebate.report import html as H
    from hookdebate.report import markdown as M
    from hookdebate.report.sections import SECTIONS, Section

    assert set(M.LAYOUT) == set(H.LAYOUT) == {s.key for s in SECTIONS}
    rep, md, html = _report_of(tmp_path, "create-user-ns-v5-nack.mbox")
    titled = [s for s in SECTIONS if s.title and s.shows(rep, None) is not None]
    assert [ln[3:] for ln in md.splitlines() if ln.startswith("## ")] == [s.heading(s.shows(rep, None)) for s in titled]
    assert re.findall(r"<h2>([^<]*)</h2>", html) == [s.heading(s.shows(rep, None)) for s in titled]
    by_key = {s.key: s for s in SECTIONS}
    other = [by_key["head"], Section("outcome", "How it ended", by_key["outcome"].shows), by_key["timeline"],
             by_key["proposal"]]
    md2, html2 = M.render_markdown(rep, {}, sections=other), H.render_html(rep, {}, sections=other)
    assert [ln[3:] for ln in md2.splitlines() if ln.startswith("## ")] == ["How it ended", "Timeline", "What was proposed"]
    assert re.findall(r"<h2>([^<]*)</h2>", html2) == ["How it ended", "Timeline", "What was proposed"]
    assert "Who argued what" not in md2 and 'id="positions"' not in html2
    assert md2.index(M._md(rep["outcome"])) < md2.index("## Timeline")
    assert html2.index('id="outcome"') < html2.index('id="timeline-list"')


def test_report_lays_out_the_findings_analysis_computed(tmp_path):
    """The report's findings, cannot-judge reasons and whether the variants' change impact is shown
    are analysis.findings.thread_findings' fields; which subject the variants compare is data
    (rules.json subjects "variants_compare"): named "user namespaces", a user namespace thread
    would get the change-impact sections."""
    from analysis.findings import thread_findings
    from analysis.link import load_rules
    from hookdebate.reporting import build_report
    from hookdebate.store import Store
    from scraper import iter_mbox

    st = Store(tmp_path / "u.db")
    st.add_messages(iter_mbox(ROOT / "tests/data/create-user-ns-v5-nack.mbox"))
    rep, analysis, linked, _ = build_report(st, kernel="v6.3")
    found = thread_findings(analysis, linked)
    assert rep["findings"] == found.to_json() and rep["cannot_judge_reasons"] == dict(found.cannot_judge)
    assert [c["finding"] for c in rep["claims"]] == [found.finding[c.claim_id] for c in analysis.claims]
    assert not found.variants_bear and rep["change_impact"] == [] and rep["variant_diff"] is None
    rules = load_rules()
    other = {**rules, "subjects": {**rules["subjects"], "variants_compare": "user namespaces"}}
    assert thread_findings(analysis, linked, other).variants_bear
