"""One debate across threads and series versions (analysis.debate, `hookdebate debate`).

tests/data/debate-series.mbox.gz is a real extract of the linux-security-module archive: the
five versions of security_create_user_ns() with every reply and the pull request that carried
it; the cover letters and patches of the ten versions of 'landlock: truncate support' (v1 was
'truncate(2) support'; v9's 10/11 sent again on its own) and its pull request; those of the
O_MAYEXEC series under its six names (v2..v23) and its pull request; the LSM syscalls' v1
('Two basic syscalls') and v3 ('Three basic syscalls'), and the patches of the stacking series'
v38 that the syscalls series took over (same author, same patch titles, a higher version
before: a different series). The expected lists are the hand-made ones in tests/data/debates/.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hookdebate.cli import main

ROOT = Path(__file__).resolve().parents[1]
MBOX = ROOT / "tests/data/debate-series.mbox.gz"
GOLD = ROOT / "tests/data/debates"

USERNS_V5 = "20220815162028.926858-1-fred@cloudflare.com"
TRUNCATE_V1 = "20220707200612.132705-1-gnoack3000@gmail.com"
MAYEXEC_V10 = "20200924153228.387737-1-mic@digikod.net"
SYSCALLS_V3 = "20221123201552.7865-1-casey@schaufler-ca.com"


@pytest.fixture(scope="module")
def corpus():
    from analysis.debate import Corpus, Postings
    from scraper import iter_mbox

    c = Corpus(iter_mbox(MBOX))
    return c, Postings(c.headers())


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory):
    path = tmp_path_factory.mktemp("debate") / "h.db"
    assert main(["ingest", str(MBOX), "--db", str(path)]) == 0
    return path


def _gold(name):
    return json.loads((GOLD / f"{name}.json").read_text())


def _gather(corpus, msgid, **kw):
    from analysis.debate import gather

    c, P = corpus
    return gather(msgid, c, postings=P, **kw)


@pytest.mark.parametrize("name,query", [("create-user-ns", USERNS_V5), ("landlock-truncate", TRUNCATE_V1)])
def test_versions_and_followups_are_the_hand_made_lists(corpus, name, query):
    gold = _gold(name)
    d = _gather(corpus, query)
    got = {p.root: p for p in d.threads}
    assert set(got) == {t["root"] for t in gold["threads"]}
    for t in gold["threads"]:
        if t["kind"] == "version":
            assert got[t["root"]] in d.series and got[t["root"]].version == t["version"], t
        else:
            assert got[t["root"]] in d.followups and d.links[t["root"]].kind == t["kind"], t


def test_renamed_series_is_one_debate_with_the_evidence(corpus):
    gold = _gold("o-mayexec")
    d = _gather(corpus, MAYEXEC_V10)
    versions = {p.root: p.version for p in d.series}
    want = {t["root"]: t["version"] for t in gold["threads"] if t["kind"] == "version"}
    assert versions == want
    names = {p.title for p in d.series}
    assert len(names) == 6  # O_MAYEXEC, RESOLVE_MAYEXEC, AT_INTERPRETED, introspect_access, trusted_for, script control
    # the 2.5-year gap (v18 -> v19, under a new name) is bridged by v19's own cover letter
    v19 = next(p for p in d.series if p.version == 19)
    link = d.links[v19.root]
    assert link.how == "changelog" and "v18" in link.evidence and link.confidence >= 0.9
    # the RESEND of v11 keeps its version and says why
    resend = [p for p in d.series if p.version == 11 and p.resend]
    assert len(resend) == 1 and d.links[resend[0].root].how == "resend"
    pulls = [p for p in d.followups if d.links[p.root].kind == "pull-request"]
    assert [p.root for p in pulls] == ["20220321161557.495388-1-mic@digikod.net"]


def test_rename_by_patch_titles_and_a_higher_earlier_version_is_another_series(corpus):
    d = _gather(corpus, SYSCALLS_V3)
    roots = {p.root: p for p in d.series}
    v1 = "20221025184519.13231-1-casey@schaufler-ca.com"
    assert set(roots) == {SYSCALLS_V3, v1}
    assert d.links[v1].how in ("patch titles", "similar")
    # the stacking series' v38 shares patch titles but is not a version of this one
    assert not any("stacking" in p.title for p in d.threads)


def test_v9_part_sent_alone_is_still_v9(corpus):
    d = _gather(corpus, TRUNCATE_V1)
    alone = next(p for p in d.series if p.root == "20221008111336.74806-1-gnoack3000@gmail.com")
    assert alone.version == 9 and d.links[alone.root].how == "patch titles"
    v2 = next(p for p in d.series if p.version == 2)
    assert d.links[v2.root].how in ("changelog", "similar")


def test_query_from_a_follow_up_opens_its_series(corpus):
    d = _gather(corpus, "CAHC9VhShpEVTuogj4h74PxbEeTUNn4odo8SE6GBvb6sGUM0LHw@mail.gmail.com")
    assert sorted(p.version for p in d.series) == [1, 2, 3, 4, 5]
    assert any(p.kind == "pull-request" for p in d.followups)


def test_overrides_cut_and_link(corpus, tmp_path):
    from analysis.debate import load_overrides

    v3 = "20220721172808.585539-1-fred@cloudflare.com"
    f = tmp_path / "debates.toml"
    f.write_text(f'[[cut]]\nthreads = ["<{v3}>"]\n\n[[link]]\nthreads = ["{USERNS_V5}", "{SYSCALLS_V3}"]\n'
                 'kind = "follow-up"\nnote = "a test link"\n')
    d = _gather(corpus, USERNS_V5, overrides=load_overrides(f))
    roots = {p.root for p in d.threads}
    assert v3 not in roots
    assert SYSCALLS_V3 in roots and d.links[SYSCALLS_V3].how == "override"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[link]]\nthreads = ["a@b"]\nkinds = "version"\n')
    from analysis.errors import AnalysisError

    with pytest.raises(AnalysisError, match="link"):
        load_overrides(bad)


def test_debate_json_contract_and_outcome(dbfile, capsys):
    assert main(["debate", f"<{USERNS_V5}>", "--db", str(dbfile), "--json", "--no-stance"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"debate", "threads", "participants", "objections", "outcome", "versions"}
    for t in data["threads"]:
        assert set(t) >= {"root", "subject", "version", "date", "link"}
        assert "<" not in t["root"] and set(t["link"]) >= {"how", "evidence", "confidence"}
        assert t["version"] is None or isinstance(t["version"], int)
    assert [t["version"] for t in data["threads"] if t["kind"] == "version"] == [1, 2, 3, 4, 5]
    out = data["outcome"]
    assert out["state"] == "merged" and out["tree"] == "lsm/next"
    assert any(e["what"] == "pull request" for e in out["evidence"])
    assert out["nack_standing"] is True  # merged over a NACK that was never withdrawn
    v3 = next(v for v in data["versions"] if v["version"] == 3)
    assert any(t["kind"] == "Nacked-by" and not t["carried"] for t in v3["trailers"])
    assert any(t["kind"] == "Acked-by" and not t["carried"] for t in v3["trailers"])


def test_debate_stance_by_version_and_ledger(dbfile, capsys):
    assert main(["debate", USERNS_V5, "--db", str(dbfile), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    author = next(p for p in data["participants"] if p["name"].startswith("Frederick"))
    assert {x["stance"] for x in author["by_version"].values() if "stance" in x} == {"support"}
    assert data["objections"], "the NACKs of v3-v5 are objections"
    nacks = [o for o in data["objections"] if "NACK" in o["claim"]]
    assert nacks and all(o["objector_agreed"] is None for o in nacks)
    assert all(set(o) >= {"version", "by", "claim", "message_id", "addressed", "objector_agreed"} for o in data["objections"])
    # text output: the same debate, read by a person
    assert main(["debate", USERNS_V5, "--db", str(dbfile)]) == 0
    text = capsys.readouterr().out
    assert "Stance over versions:" in text and "Outcome: merged" in text


@pytest.mark.parametrize("argv,needle", [
    (["debate", "nobody@example.invalid"], "no stored message"),
    (["debate", "not-a-message-id"], "expected a Message-ID"),
    (["debate", "x@y", "--min-confidence", "3"], "--min-confidence"),
    (["debate", "/nonexistent/article.html"], "no such file"),
    (["debate", "https://lore.kernel.org/linux-security-module/"], "not a public-inbox message URL"),
])
def test_debate_bad_input_is_one_line(dbfile, capsys, argv, needle):
    assert main(argv + ["--db", str(dbfile), "--no-stance"]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_debate_without_database_is_one_line(tmp_path, capsys):
    assert main(["debate", USERNS_V5, "--db", str(tmp_path / "none.db")]) == 2
    assert "no hookdebate database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_debate_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["debate", "--help"])
    assert e.value.code == 0
    assert "--json" in capsys.readouterr().out


def test_no_thread_people_or_message_ids_in_debate_code_or_rules():
    needles = set()
    for f in GOLD.glob("*.json"):
        g = json.loads(f.read_text())
        for t in g["threads"] + g["optional"]:
            needles.add(t["root"].lower())
            local, _, domain = t["root"].partition("@")
            needles.add(local.lower())
            if "." in domain and not domain.endswith(("gmail.com", "kernel.org", "google.com")):
                needles.add(domain.lower())
    files = [ROOT / "analysis/debate.py", ROOT / "hookdebate/debate.py", ROOT / "hookdebate/store_debate.py",
             ROOT / "hookdebate/commands/debate.py", *sorted((ROOT / "data/debates").glob("*"))]
    for f in files:
        text = f.read_text().lower()
        found = [n for n in needles if re.search(r"(?<![\w.@-])" + re.escape(n) + r"(?![\w@-])", text)]
        assert not found, (str(f), found)


def test_report_debate_md_html_json_with_pictures(dbfile, tmp_path, capsys):
    md = tmp_path / "d.md"
    assert main(["report", "--debate", USERNS_V5, "--db", str(dbfile), "-o", str(md)]) == 0
    text = md.read_text()
    assert "## Objection ledger" in text and "**Outcome: merged**" in text and "| v5 |" in text
    for name in ("debate-timeline", "stance-over-versions"):
        svg = tmp_path / f"d-{name}.svg"
        assert svg.exists() and svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg")) and f"]({svg.name})" in text
    page = tmp_path / "d.html"
    assert main(["report", "--debate", USERNS_V5, "--db", str(dbfile), "-o", str(page)]) == 0
    h = page.read_text()
    assert h.count("data:image/svg+xml;base64,") == 2 and "<table id=\"threads\">" in h
    assert main(["report", "--debate", USERNS_V5, "--db", str(dbfile), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"]["state"] == "merged"


@pytest.fixture(scope="module")
def mixed_db(tmp_path_factory):
    """The extract and the embedded thread in one store: several threads, so no --thread default."""
    path = tmp_path_factory.mktemp("debate-mixed") / "h.db"
    assert main(["ingest", str(MBOX), str(ROOT / "data/threads/authoritative-hooks.mbox"), "--db", str(path)]) == 0
    return path


def test_verify_quotes_without_thread_searches_the_whole_archive(mixed_db, capsys):
    page = ROOT / "tests/data/lwn/authoritative-hooks.html"
    assert main(["verify-quotes", str(page), "--db", str(mixed_db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and all(r["message_id"] for r in rows)
    assert all(r["speaker_is_author"] for r in rows)
    # a quote of a thread the article does not link is found too (here: from the extract)
    body = '> So it has my NACK.\n\n"I just merged this into the lsm/next tree"\n\n"words nobody ever wrote in this archive"\n'
    tmp = Path(str(mixed_db) + ".txt")
    tmp.write_text(body)
    assert main(["verify-quotes", str(tmp), "--db", str(mixed_db), "--json"]) == 0
    rows = {r["text"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["So it has my NACK."]["message_id"] and rows["I just merged this into the lsm/next tree"]["message_id"]
    assert rows["words nobody ever wrote in this archive"]["message_id"] is None
    assert main(["verify-quotes", str(tmp), "--db", str(mixed_db)]) == 0
    assert "2 of 3 quotes found in the stored archive" in capsys.readouterr().out


def test_debate_from_an_lwn_article(mixed_db, capsys):
    page = ROOT / "tests/data/lwn/authoritative-hooks.html"
    assert main(["debate", str(page), "--db", str(mixed_db), "--json", "--no-stance"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["article"]["links"] == 7 and data["not_stored"] == []
    assert [d["debate"]["first"] for d in data["debates"]] == ["20230412043300.360803-1-andrii@kernel.org"]


def test_debate_target_is_one_library_call(mixed_db, tmp_path):
    """`debate` is options + hookdebate.debate.target_debates: an article gives (Article, its
    debates), a Message-ID (None, the debate); a path that is no file is said before the
    database is opened."""
    from hookdebate.debate import target_debates
    from hookdebate.errors import HookdebateError

    article, data = target_debates(mixed_db, str(ROOT / "tests/data/lwn/authoritative-hooks.html"), stance=False)
    assert article is not None and len(article.message_ids) == data["article"]["links"] == 7
    first = data["debates"][0]["debate"]["first"]
    article, one = target_debates(mixed_db, f"<{first}>", stance=False)
    assert article is None and one == data["debates"][0]
    with pytest.raises(HookdebateError, match="no such file"):
        target_debates(tmp_path / "no.db", "/nonexistent/article.html")


def test_single_thread_report_links_its_debate(mixed_db, capsys):
    assert main(["report", "--thread", "20220801180146.1157914-1-fred@cloudflare.com", "--db", str(mixed_db),
                 "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)["debate"]
    assert d["threads"] == 6 and d["versions"] == [1, 2, 3, 4, 5] and d["outcome"] == "merged"
    assert main(["report", "--thread", "20230412043300.360803-1-andrii@kernel.org", "--db", str(mixed_db),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["debate"] is None  # one thread: no debate line


def test_a_revert_of_one_patch_is_a_follow_up_and_the_outcome_says_so():
    """Real mail: an IMA fix posted as an RFC and again, carried by a pull request; two years
    later one of its two patches is reverted (tests/data/debate-revert.mbox.gz)."""
    from analysis import debate as D
    from scraper import iter_mbox

    c = D.Corpus(iter_mbox(ROOT / "tests/data/debate-revert.mbox.gz"))
    d = D.gather("20210322154207.6802-1-zohar@linux.ibm.com", c)
    kinds = {p.root: d.links[p.root].kind for p in d.followups}
    assert kinds == {"98cd4b74a0658c14acc0071349122b13e7238a53.camel@linux.ibm.com": "pull-request",
                     "20230308171119.1784326-2-roberto.sassu@huaweicloud.com": "revert"}
    assert [p.version for p in d.series] == [1, 1]  # the RFC and the posting after it
    D.load_bodies(d, c)
    vers = D.versions(d)
    out = D.outcome(d, vers, [])
    assert out["reverted"] == ["integrity: double check iint_cache was initialized"]
    assert out["state"] != "reverted"  # one of two patches: the rest stands
    assert any(e["what"] == "reverted" for e in out["evidence"])


# -- read by a person on the whole archive (issue 14's check): rules mended, each on real mail --
RENUMBERED = ROOT / "tests/data/debate-check.mbox.gz"
HORNET = ["20250321164537.16719-1-bboscaccy@linux.microsoft.com", "20250404215527.1563146-1-bboscaccy@linux.microsoft.com",
          "20250502184421.1424368-1-bboscaccy@linux.microsoft.com"]
HORNET_AFTER = "20250528215037.2081066-1-bboscaccy@linux.microsoft.com"
HORNET_AGAIN = ["20251211021257.1208712-1-bboscaccy@linux.microsoft.com", "20260227233930.2418522-1-bboscaccy@linux.microsoft.com"]


@pytest.fixture(scope="module")
def renumbered():
    """Real extract (tests/data/debate-check.mbox.gz, 95 messages of the archive read at issue 14's
    check): an LSM's three versions, NACKed, then taken up again half a year later as
    '[RFC 00/11] Reintroduce ...' and '[PATCH v2 00/10] Reintrodce ...' (sic) sharing two patch
    titles, and the author's posting in between that links a reviewer's reply; a proposal posted three times as RFC and refused by the maintainer on the last; a
    series' v2 (with its author's 'I will drop this patch' under one part) and v7 with the
    patchwork bot's 'This series was applied'; a two-patch series renamed at v2 whose v2 of one
    patch was first sent alone into v1's thread, whose covers say '[PATCH 0/2 v2]' and whose parts
    carry no version; a maintainer's review of a patch and its author's point-by-point answer; a
    series' v4 and v5 and the stable backport of two of its patches by the same author."""
    from analysis.debate import Corpus, Postings
    from scraper import iter_mbox

    c = Corpus(iter_mbox(RENUMBERED))
    return c, Postings(c.headers())


@pytest.mark.parametrize("asked", HORNET + HORNET_AGAIN)
def test_a_series_taken_up_again_under_a_new_numbering_is_a_follow_up_not_a_version(renumbered, asked):
    from analysis import debate as D

    d = _gather(renumbered, asked)
    assert [(p.root, p.version) for p in d.series] == [(r, v) for r, v in zip(HORNET, [1, 2, 3])]
    assert [p.root for p in d.followups] == [HORNET_AFTER] + HORNET_AGAIN
    assert all(d.links[r].how == "successor" and d.links[r].kind == "follow-up" for r in HORNET_AGAIN)
    # the author's next posting links a reviewer's reply in v3's thread (not its cover)
    assert d.links[HORNET_AFTER].how == "links" and "CACYkzJ6VQUExfyt0" in d.links[HORNET_AFTER].evidence
    assert d.query == asked
    D.load_bodies(d, renumbered[0])
    vers = D.versions(d)
    assert [v["messages"] for v in vers] == [5, 6, 9]  # v2 is not joined by the later 'v2'
    out = D.outcome(d, vers, [])
    assert out["state"] == "NACK standing" and out["replaced_by"]["root"] == HORNET_AGAIN[0]


def test_an_rfc_tag_with_a_part_number_is_a_posting(renumbered):
    _, P = renumbered
    rfc = P.postings[HORNET_AGAIN[0]]
    assert rfc.kind == "series" and rfc.version == 1 and len(rfc.parts) == 12  # cover and 11 patches


def test_nacks_in_words_and_their_reasons(renumbered):
    """'... is plain nack.' in a reply to a patch; a Nacked-by trailer after 'So for this approach,
    it's a:'; a Nacked-by after a paragraph giving the reason: each a NACK of its version, the
    person's stance there, with what it says against the patch (never the trailer line)."""
    from analysis import debate as D

    c, _ = renumbered
    d = _gather(renumbered, HORNET[2])
    D.load_bodies(d, c)
    vers = D.versions(d)
    given = {v["version"]: sorted(t["by"] for t in v["trailers"] if t["kind"] == "Nacked-by") for v in vers}
    assert given == {1: [], 2: ["Alexei Starovoitov"], 3: ["Daniel Borkmann", "KP Singh"]}
    st = D.with_nacks(d, {}, vers)
    assert st[2]["Alexei Starovoitov"]["quote"] == "Calling into sys_bpf from LSM is plain nack."
    assert "niche use case" in st[3]["Daniel Borkmann"]["quote"]
    assert all(x["stance"] == "oppose" and x["basis"] == "NACK" and "Nacked-by" not in x["quote"]
               for per in st.values() for x in per.values())
    ledger = D.objections(d, st, vers)
    assert {(o["version"], o["by"]) for o in ledger} == {(2, "Alexei Starovoitov"), (3, "KP Singh"), (3, "Daniel Borkmann")}
    assert not any(o["claim"].startswith("Nacked-by") for o in ledger)


def test_a_maintainers_refusal_of_the_last_version_is_the_outcome(renumbered):
    from analysis import debate as D

    d = _gather(renumbered, "93b5e861-c1ec-417c-b21e-56d0c4a3ae79@I-love.SAKURA.ne.jp")
    assert sorted(p.version for p in d.series) == [1, 2, 3]
    D.load_bodies(d, renumbered[0])
    out = D.outcome(d, D.versions(d), [])
    assert out["state"] == "refused"
    assert any(e["what"] == "refused" and "not merging this" in e["quote"] for e in out["evidence"])


def test_the_patchwork_bots_applied_and_a_part_dropped_is_not_a_withdrawal(renumbered):
    from analysis import debate as D

    c, _ = renumbered
    d = _gather(renumbered, "20250921160120.9711-1-kpsingh@kernel.org")
    D.load_bodies(d, c)
    out = D.outcome(d, D.versions(d), [])
    assert out["state"] == "applied" and out["tree"] == "bpf/bpf-next.git"
    # without the later versions, the author's 'Fair, I will drop this patch' under v2's 13/13
    # still drops a part, not the series
    only_v2 = D.Corpus(m for m in iter_mbox_of(RENUMBERED) if "kpsingh" in m.message_id and "20250921" not in m.message_id
                       or m.in_reply_to and "20250721211958" in (m.in_reply_to + " ".join(m.references)))
    d2 = D.gather("20250721211958.1881379-1-kpsingh@kernel.org", only_v2)
    assert [p.version for p in d2.series] == [2]
    D.load_bodies(d2, only_v2)
    out2 = D.outcome(d2, D.versions(d2), [], archive_end=d2.series[0].date)
    assert out2["state"] != "withdrawn" and not any(e["what"] == "withdrawn" for e in out2["evidence"])


def iter_mbox_of(path):
    from scraper import iter_mbox

    return list(iter_mbox(path))


def test_a_nack_repeated_in_words_counts_for_its_version_and_the_pull_request_carries_the_last(corpus):
    from analysis import debate as D

    c, _ = corpus
    d = _gather(corpus, USERNS_V5)
    D.load_bodies(d, c)
    vers = D.versions(d)
    v5 = next(v for v in vers if v["version"] == 5)
    assert [t["by"] for t in v5["trailers"] if t["kind"] == "Nacked-by" and not t["carried"]] == ["Eric W. Biederman"]
    out = D.outcome(d, vers, [])
    assert [n["versions"] for n in out["nacks"]] == [[3, 4, 5]]
    pull = next(p for p in d.followups if d.links[p.root].kind == "pull-request")
    assert "of v5" in d.links[pull.root].evidence  # four titles in v3, v4 and v5 alike: the last version
    st = D.with_nacks(d, {}, vers)
    assert "break the users of the user namespace" in st[4]["Eric W. Biederman"]["quote"]


def test_changelog_sections_say_after_which_version(corpus):
    from analysis import debate as D

    c, _ = corpus
    text = c.bodies([USERNS_V5])[USERNS_V5]
    sections = dict(D._changelog_sections(text))
    assert sections["- Update cover letter"] == 4
    assert sections["- Add selinux: Implement create_user_ns hook patch"] == 1


PF = ["20240826085347.1152675-1-mhocko@kernel.org", "20240827061543.1235703-1-mhocko@kernel.org",
      "20240902095203.1559361-1-mhocko@kernel.org", "20240926172940.167084-1-mhocko@kernel.org"]


@pytest.mark.parametrize("asked", PF)
def test_a_part_resent_in_thread_and_a_rename_sharing_one_patch_title_are_versions(renumbered, asked):
    _, P = renumbered
    v2 = P.postings[PF[2]]
    assert sorted(v2.parts) == [0, 1, 2]  # '[PATCH 0/2 v2]' is a cover; its unversioned parts are its own
    d = _gather(renumbered, asked)
    assert [(p.root, p.version) for p in d.series] == list(zip(PF, [1, 2, 2, 3]))
    assert d.links[PF[1]].how == "in thread" or asked == PF[1]
    assert d.links[PF[2]].how == "similar" or asked == PF[2]


def test_the_authors_answer_is_read_under_the_point_it_answers(renumbered):
    from analysis import debate as D

    c, _ = renumbered
    reply = c.bodies(["6cbbe6eb-d808-7a99-9ca9-43f816b99833@schaufler-ca.com"])["6cbbe6eb-d808-7a99-9ca9-43f816b99833@schaufler-ca.com"]
    answer = D._answer_to(reply, "Why not set @base's type to a 'u8' just to remove any concerns?")
    assert answer.startswith("I can do that.")
    assert D._cues()["addressed"].search("I can do that.")
    # 'It seemed like a good idea at the time' answers another point, and agrees with nothing
    assert not D._cues()["addressed"].search("It seemed like a good idea at the time, but a rose by any other name still has thorns.")


def test_a_stable_backport_is_not_the_series_taken_up_again(renumbered):
    """'[PATCH 4.4 1/2] binder: ...' after v5 carries v5's patches to an old kernel: not a
    successor series, so nothing 'replaced' the series."""
    from analysis import debate as D

    c, _ = renumbered
    d = _gather(renumbered, "20211012165614.2873369-1-tkjos@google.com")
    assert sorted(p.version for p in d.series) == [4, 5]
    assert not any(d.links[p.root].how == "successor" for p in d.followups)
    D.load_bodies(d, c)
    out = D.outcome(d, D.versions(d), [])
    assert out["replaced_by"] is None and out["state"] != "replaced"


def test_a_reviewers_local_apply_is_not_a_merge():
    """Real sentences of the archive: a reviewer applying a diff to test it is no merge; the
    patchwork bot's notice and a maintainer's 'applied to <tree>' are."""
    from analysis.debate import _cues

    c = _cues()

    def applied(s):
        return bool(c["applied"].search(s)) and not c["not_applied"].search(s)

    assert not applied("Here's the diff I applied on top of the selftests you sent.")
    assert applied("This series was applied to bpf/bpf-next.git (master) by Alexei Starovoitov <ast@kernel.org>:")
    assert applied("Thanks, applied to ipe/next.")


def test_a_weak_later_support_is_not_the_objector_agreeing(corpus):
    """On the real v1..v5 debate: a reviewer's objection on v1 followed by a 'support' read at
    0.5 on v3 (often a review comment on the next version) is not agreement; at 0.9 it is."""
    from analysis import debate as D

    c, _ = corpus
    d = _gather(corpus, USERNS_V5)
    D.load_bodies(d, c)
    vers = D.versions(d)
    mid = next(m for m in d.series[0].message_ids if m != d.series[0].root)
    obj = {"stance": "oppose", "confidence": 0.9, "quote": "This hook seems backwards.", "message_id": mid,
           "addresses": ["reviewer@example.org"]}

    def agreed(conf):
        later = {"stance": "support", "confidence": conf, "quote": "Looks fine.", "message_id": mid,
                 "addresses": ["reviewer@example.org"]}
        ledger = D.objections(d, {1: {"A Reviewer": obj}, 3: {"A Reviewer": later}}, vers)
        return next(o for o in ledger if o["by"] == "A Reviewer")["objector_agreed"]

    assert agreed(0.5) is None
    assert agreed(0.9)["how"] == "supports v3"
