"""hookdebate report (md/html/json), HTML escaping, headless-Chromium check, verify-quotes."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
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
    assert len(stamps) == 52 and stamps == sorted(stamps)
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
    from analysis.link import change_impact, link_claims, variant_diff
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
    from scraper.model import ArticleQuote

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
    import analysis.link as L

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
    from hookdebate.commands.report import build_report
    from hookdebate.store import Store
    from scraper import iter_mbox

    st = Store(tmp_path / "l.db")
    st.add_messages(iter_mbox(ROOT / "tests/data/bpf-map-loophole-2022.mbox"))
    rep, *_ = build_report(st)
    d = rep["variant_diff"]
    assert d["to"] is None and "No proposal variant" in d["note"]
    from hookdebate.report import render_markdown

    assert "No proposal variant" in render_markdown(rep, {})
