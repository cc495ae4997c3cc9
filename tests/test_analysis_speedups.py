"""The analysis' shortcuts give what the slow ways give (issue 13): the attribute_ruler in
analysis.nlp (FastAttributes) against spaCy's own, and the regular-expression screen
(analysis.screen) against plain searches, on real mail."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import screen
from analysis.lexicon import get_cues, get_lexicon
from scraper import iter_mbox

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MAIL = [ROOT / "data" / "threads" / "authoritative-hooks.mbox", DATA / "bpf-map-loophole-2022.mbox",
        DATA / "lsm-stacking-next-6.1.mbox", DATA / "landlock-chmod-chown.mbox"]


def _paragraphs(limit: int = 120_000) -> list[str]:
    """Paragraphs of real mail (prose, quotes, code), the first `limit` characters' worth
    taken evenly from each thread."""
    out = []
    for path in MAIL:
        size = 0
        for m in iter_mbox(path):
            for p in re.split(r"\n\s*\n", m.body):
                if p.strip() and size < limit // len(MAIL) and len(p) < 3000:
                    out.append(p)
                    size += len(p)
    return out


def _tokens(doc):
    return [(t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.lemma_, str(t.morph), t.is_sent_start) for t in doc]


def test_fast_attributes_set_what_spacys_attribute_ruler_sets():
    import spacy

    from analysis.nlp import EXCLUDE, MODELS, FastAttributes, get_nlp

    nlp = get_nlp()
    assert nlp.pipe_names[-1] == "attribute_ruler"
    assert isinstance(nlp.get_pipe("attribute_ruler").fast, FastAttributes)
    plain = spacy.load(next(n for n in MODELS if _installed(n)), exclude=list(EXCLUDE))
    assert type(plain.get_pipe("attribute_ruler")).__name__ == "AttributeRuler"
    texts = _paragraphs()
    # the rules' odd cases, which real kernel mail rarely has
    texts += ["I ain't gonna do that, y'all.", "Let's go. C'mon, it gets worse; I got it.", "There is a bug.",
              "I think it is fine but I do not like it.", "Nothin' to see here.  \n\n  Really?"]
    # and the thinc layers' products through numpy (analysis.nlp) against spaCy's own blis
    assert {n.ops.use_blis for _, p in nlp.pipeline if hasattr(p, "model") for n in p.model.walk()} == {False}
    assert True in {n.ops.use_blis for _, p in plain.pipeline if hasattr(p, "model") for n in p.model.walk()}
    mine = [_tokens(d) for d in nlp.pipe(texts)]
    theirs = [_tokens(d) for d in plain.pipe(texts)]
    assert sum(len(x) for x in mine) > 15_000
    for a, b, text in zip(mine, theirs, texts):
        assert a == b, text[:200]


def test_blas_runs_on_one_thread():
    """numpy's BLAS, which the pipeline's layers multiply with, on one thread (its spinning
    threads would take the cores of analyze's other workers)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from analysis.nlp import get_nlp

    get_nlp()
    blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_fast_attributes_keeps_the_ruler_for_patterns_it_cannot_read():
    from analysis.nlp import get_nlp, FastAttributes

    ruler = get_nlp().get_pipe("attribute_ruler").fast.ruler

    class Unreadable:
        vocab = ruler.vocab
        attrs = [{}]
        indices = [0]

        class matcher:  # noqa: N801
            @staticmethod
            def get(key):
                return None, [[{"TAG": "NN", "OP": "+"}]]

    assert not FastAttributes(Unreadable).ok


def _patterns() -> list[re.Pattern]:
    cues = get_cues()
    out = [rx for side in ("attack", "support") for k in ("stance", "strong", "weak") for rx in cues[side][k]]
    for k in ("hedge", "neutral", "concessive", "not_evidence", "requests"):
        out += cues[k]
    out += [rx for v in cues["claim_types"].values() for rx in v]
    out += [rx for v in cues["evaluative"].values() for rx in v]
    lex = get_lexicon()
    out += [p for c in lex.concepts for p in c.patterns] + [rx for rx, _, _ in lex.symbols]
    out += [c.unless for c in lex.concepts if c.unless is not None]
    return out


def test_screen_never_skips_a_pattern_that_matches_real_sentences():
    patterns = _patterns()
    assert len(patterns) > 250
    screened = [rx for rx in patterns if screen.factors(rx)]
    assert len(screened) > 0.8 * len(patterns)  # the screen is not vacuous
    sentences = [s for p in _paragraphs() for s in re.split(r"(?<=[.?!])\s+", p)]
    sentences += [s.upper() for s in sentences[:300]] + [s.title() for s in sentences[:300]]
    hits = 0
    for s in sentences:
        low = screen.lowered(s)
        for rx in patterns:
            want = rx.search(s)
            got = screen.search(rx, s, low)
            assert (want and want.span()) == (got and got.span()), (rx.pattern, s)
            hits += want is not None
    assert hits > 500


@pytest.mark.parametrize("pattern,flags,text,matches", [
    (r"\bnak(ed)?\b", re.I, "NAKed.", True),
    (r"\bnak(ed)?\b", re.I, "a snake", False),
    (r"(?-i:\bASSERT_[A-Z_]+)", re.I, "four ASSERT_EQ() calls", True),
    (r"(?-i:\bASSERT_[A-Z_]+)", re.I, "four assert_eq() calls", False),
    (r"\b(won't|will not) work\b", re.I, "It WILL NOT work", True),
    (r"\bsk\b", re.I, "\u212a and s\u212a", True),  # the Kelvin sign folds to k: not ASCII, searched
    (r"\bstruct\b", re.I, "\u017ftruct", True),  # the long s folds to s
    (r"caf\u00e9", re.I, "CAF\u00c9", True),  # a non-ASCII literal is never screened
    (r"(?i)^\W*(no|nope)\s*([.,!;:]|$)", 0, "No.", True),
    (r"a{0}b?", 0, "xyz", True),  # nothing required: never screened
    (r"x(?=yz)", 0, "xyz", True),
])
def test_screen_on_hard_cases(pattern, flags, text, matches):
    rx = re.compile(pattern, flags)
    assert bool(rx.search(text)) == matches
    assert bool(screen.search(rx, text, screen.lowered(text))) == matches
    assert screen.any_match([rx], text) == matches


def test_screen_factors_are_literals_every_match_contains():
    assert screen.factors(re.compile(r"\bnot (true|correct)\b", re.I)) == {("not ", True)}
    assert screen.factors(re.compile(r"\b(isn't|is not) right", re.I)) == {(" right", True)}
    assert screen.factors(re.compile(r"(ab|cd)+x?", 0)) == {("ab", False), ("cd", False)}
    assert screen.factors(re.compile(r"(ab|c*)", 0)) is None
    assert screen.factors(re.compile(r"[a-z]+\(\)", 0)) == {("()", False)}


def _reading(messages) -> str:
    """Everything analysis gives for a thread: the analysis document and the stance contexts."""
    import json

    from analysis.output import analysis_to_json
    from analysis.pipeline import analyze_with_contexts

    a, contexts = analyze_with_contexts(messages)
    return json.dumps(analysis_to_json(a), sort_keys=True, default=str) + repr(contexts)


def test_parse_cache_gives_what_parsing_again_gives(monkeypatch):
    """Two versions of one series (their cover letter and patch text recur), then the first
    again (all of it from the cache), with the cache and with a cache too small to hold a
    thread (pieces evicted while a thread is read): each reading equal to the uncached one."""
    from analysis import pipeline

    threads = [list(iter_mbox(DATA / name)) for name in
               ("create-user-ns-v3.mbox", "create-user-ns-v5-nack.mbox", "create-user-ns-v3.mbox")]
    monkeypatch.setattr(pipeline, "PARSE_CACHE_CHARS", 0)
    want = [_reading(t) for t in threads]
    for limit in (1_000_000, 3_000):
        monkeypatch.setattr(pipeline, "_PARSED", pipeline._ParseCache())
        monkeypatch.setattr(pipeline, "PARSE_CACHE_CHARS", limit)
        hits = []
        real_get = pipeline._ParseCache.get

        def get(self, nlp, text, hits=hits, real_get=real_get):
            doc = real_get(self, nlp, text)
            hits.append(doc is not None)
            return doc

        monkeypatch.setattr(pipeline._ParseCache, "get", get)
        got = [_reading(t) for t in threads]
        assert got == want
        assert pipeline._PARSED.chars <= limit
        if limit > 3_000:
            assert sum(hits) > 0.4 * len(hits)  # the third reading at least came from the cache
        monkeypatch.setattr(pipeline._ParseCache, "get", real_get)
