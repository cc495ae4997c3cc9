"""Analysis stage: messages of a thread -> tree, people, segments, reply pairs,
claims, stances, positions.

Importing this package does not import spaCy; only analyze() (and claim
extraction) loads it, lazily.
"""
from __future__ import annotations

from analysis.errors import AnalysisError
from analysis.identity import load_overrides, merge_identities
from analysis.segment import segment_message
from analysis.threading import build_tree, split_threads

__all__ = [
    "AnalysisError", "analyze", "build_tree", "claims_json", "load_overrides", "merge_identities",
    "positions_json", "segment_message", "split_threads",
]


def analyze(messages, *, overrides=None, stance=None):
    """The whole analysis of one thread; see analysis.pipeline.analyze (stance: None for the
    trained model, "rules" for the cue rules alone, or an analysis.stance.StanceModel)."""
    from analysis.pipeline import analyze as _analyze

    return _analyze(messages, overrides=overrides, stance=stance)


def positions_json(analysis):
    from analysis.output import positions_json as _f

    return _f(analysis)


def claims_json(analysis):
    from analysis.output import claims_json as _f

    return _f(analysis)
