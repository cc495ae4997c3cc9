"""The stance corpus, the learned stance model and its one person rule, and evidence a
journalist could quote: on real mail from tests/data."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from analysis.corpus import ANNOTATIONS, FRESH, annotations, series_key
from analysis.stance import (STANCES, LinearModel, StanceModel, default_model_path, load_model, person_stance,
                             quotable)
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]


def _own_text(body: str) -> str:
    return " ".join(" ".join(l for l in body.splitlines() if not l.lstrip().startswith(">")).split())


# -- the corpus ------------------------------------------------------------------------

def test_corpus_size_and_spread():
    anns = [a for a in annotations("first") if a.annotator == "A"]
    assert len(anns) >= 60
    index = json.loads((ANNOTATIONS / "index.json").read_text())["threads"]
    by_slug = {t["slug"]: t for t in index}
    years = Counter(by_slug[a.thread]["year"] for a in anns)
    assert set(range(2019, 2027)) <= set(years)
    for a in anns:
        assert by_slug[a.thread]["messages"] >= 5 and by_slug[a.thread]["people"] >= 3
    assert len(annotations("B")) >= 10  # read twice, independently


@pytest.mark.parametrize("ann", annotations() + annotations(base=FRESH), ids=lambda a: f"{a.thread}.{a.annotator}")
def test_annotation_well_formed(ann):
    msgs = {m.message_id: m for m in iter_mbox(ann.mbox)}
    assert ann.root in msgs
    if ann.messages:  # every message labelled, nothing else
        assert {m["message_id"] for m in ann.messages} == set(msgs)
    for m in ann.messages:
        assert m["stance"] in STANCES
        if m.get("key_quote"):
            assert " ".join(m["key_quote"].split()) in _own_text(msgs[m["message_id"]].body)
    for p in ann.people:
        assert p["stance"] in STANCES
        if p.get("key_quote") and not p.get("ambiguous"):
            assert " ".join(p["key_quote"].split()) in _own_text(msgs[p["message_id"]].body), p["name"]


def test_fresh_threads_are_never_trained_on():
    """The first-sight set shares no thread and no series with the training corpus, and
    training's reader does not see it."""
    fresh = annotations(base=FRESH)
    assert len(fresh) >= 8
    trained = annotations()
    index = json.loads((FRESH / "index.json").read_text())["threads"]
    assert {a.thread for a in fresh} <= {t["slug"] for t in index}
    assert not {a.thread for a in fresh} & {a.thread for a in trained}
    assert not {a.root for a in fresh} & {a.root for a in trained}
    train_series = {series_key(t["subject"]) for t in json.loads((ANNOTATIONS / "index.json").read_text())["threads"]}
    assert not {series_key(t["subject"]) for t in index} & train_series


def test_series_versions_share_a_fold_key():
    assert series_key("[PATCH v5 0/4] Introduce security_create_user_ns()") == \
        series_key("Re: [PATCH v2 0/4] Introduce security_create_user_ns()")
    assert series_key("[RFC v2 0/1] RFC on how to include LSM hooks") == series_key("[RFC 0/1] RFC on how to include LSM hooks")
    assert series_key("[PATCH] a") != series_key("[PATCH] b")


# -- the model -------------------------------------------------------------------------

def test_model_is_data_and_loads_without_sklearn():
    raw = json.loads(default_model_path().read_text())
    assert raw["format"] == "hookdebate-stance/1"
    assert default_model_path().stat().st_size < 20 * 1024 * 1024
    code = ("import sys; from analysis.stance import load_model; m = load_model(); "
            "assert m is not None and set(m.message.classes) <= {'support','oppose','mixed','neutral'}; "
            "assert m.person is not None and 'mixed' in m.person.classes; "
            "assert 'sklearn' not in sys.modules; "
            "print(len(m.message.weights))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(out.stdout) > 20
    with pytest.raises(ValueError):
        StanceModel.from_json({"format": "something else"})


def test_training_is_deterministic():
    pytest.importorskip("sklearn")
    from analysis.stance_train import config, fit_messages, load_threads

    small = [a for a in annotations("A") if a.thread in (
        "2021-selinux-anon-inodes-use-a-separate", "2026-improved-guidance-for-lsm-submissions",
        "2024-lsm-fs-use-i-callback-to")]
    threads = load_threads(small)
    ex = [e for t in threads for e in t.examples()]
    assert len({y for _, y in ex}) >= 2
    a = fit_messages(ex, config()).to_json()
    b = fit_messages(ex, config()).to_json()
    assert a == b and a["message"]["weights"]


def test_person_stance():
    """The convention's fixed readings, and a person model that reads a person's message
    probabilities: one clear side, both sides (mixed), nothing decided."""
    f = ["support", "oppose", "mixed", "neutral"]
    # a toy person model: the mean probability of each class decides; support and oppose
    # both also push "mixed", which wins only when the person leans both ways about equally
    person = LinearModel(tuple(f), {"mean:support": (4, 0, 2.5, 0), "mean:oppose": (0, 4, 2.5, 0),
                                    "mean:neutral": (0, 0, 0, 4)}, (0, 0, 0, 0))
    message = LinearModel(tuple(f), {}, (0, 0, 0, 0))
    m = StanceModel(message, person)
    assert person_stance(m, [{"oppose": 0.9, "neutral": 0.1}], "oppose", is_proposer=True)[0] == "support"
    assert person_stance(m, [{"support": 0.9, "neutral": 0.1}], "support", is_automated=True)[0] == "neutral"
    assert person_stance(m, [{"support": 0.1, "neutral": 0.9}], "neutral")[0] == "neutral"
    assert person_stance(m, [{"oppose": 0.9, "neutral": 0.1}], "neutral")[0] == "oppose"
    assert person_stance(m, [{"support": 0.9, "neutral": 0.1}, {"oppose": 0.9, "neutral": 0.1}], "mixed")[0] == "mixed"
    assert person_stance(StanceModel(message), [{"support": 0.8, "neutral": 0.2}], "neutral")[0] == "support"


@pytest.mark.parametrize("reader", ["rules", None])
def test_development_thread(reader):
    """The rules and the learned model read the development thread's six people as its gold
    does (Dr. Greg, neutral and marked ambiguous there, is the weakest: his two messages sit
    between all three sides)."""
    from analysis import analyze

    gold = json.loads((ANNOTATIONS / "converted" / "2023-authoritative-hooks.gold.json").read_text())
    msgs = list(iter_mbox(ROOT / "data" / "threads" / "authoritative-hooks.mbox"))
    a = analyze(msgs, stance=reader) if reader else analyze(msgs)
    assert a.extra["stance_reader"] == ("rules" if reader else "model" if load_model() else "rules")
    by_addr = {x: p for p in a.positions for x in p.addresses}
    right = sum(by_addr[g["addresses"][0]].stance == g["stance"] for g in gold["people"])
    assert right == len(gold["people"]) == 6
    assert by_addr["paul@paul-moore.com"].stance == "oppose" and by_addr["andrii@kernel.org"].stance == "support"


# -- evidence and segmentation ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "On Tue, Apr 11, 2023 at 9:33 PM Andrii Nakryiko <andrii@kernel.org> wrote:",
    "Am 12.04.23 um 10:00 schrieb Christian König:",
    "Yes.", "Ok.", "https://lore.kernel.org/linux-security-module/20230412043300.360803-1-andrii@kernel.org/",
    "Good morning, I hope the week is going well.", "Hi all,", "Thanks!",
    "This is a work in progress, not for merging.",
])
def test_never_evidence(text):
    assert not quotable(text)


@pytest.mark.parametrize("text", ["NAK.", "This makes sense to me.", "I am not convinced this is needed."])
def test_positions_are_evidence(text):
    assert quotable(text)


@pytest.mark.parametrize("reader", ["rules", None])
def test_evidence_on_real_mail_is_quotable_own_text(reader):
    from analysis import analyze

    for ann in annotations("A")[:12]:
        msgs = list(iter_mbox(ann.mbox))
        a = analyze(msgs, stance=reader) if reader else analyze(msgs)
        body = {m.message_id: " ".join(m.body.split()) for m in msgs}
        for p in a.positions:
            for e in p.evidence:
                assert quotable(e.quote), (ann.thread, e.quote)
                assert " ".join(e.quote.split()) in body[e.message_id]
                assert not re.search(r"\b(wrote|schrieb)\s*:\s*$", e.quote)


def test_a_reply_root_answers_the_series_it_quotes():
    """The kselftest pull reached the list only through a reply to it: the proposal is the
    pull request that reply quotes, so its sender (who is in the thread) is the proposer,
    not the critic who wrote the first stored message."""
    from analysis import analyze

    path = ANNOTATIONS / "threads" / "2022-kselftest-update-for-linux-5-20.mbox"
    msgs = list(iter_mbox(path))
    a = analyze(msgs)
    root = next(m for m in msgs if m.message_id == a.tree.root_id)
    assert root.subject.lower().startswith("re: [git pull]")
    assert a.extra["proposer"] != a.author_of[root.message_id]
    assert a.person(a.extra["proposer"]).name.startswith("Shuah")
