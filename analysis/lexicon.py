"""Concept lexicon (data/lexicon/concepts.toml) and cue lexicon (cues.toml).

Concepts are recognized by regex (kernel spellings, inflected phrases) and by a
spaCy PhraseMatcher over the `phrases` lists; generic symbol rules catch kernel
symbols the lexicon does not list. No spaCy import at module load.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError


def data_dir() -> Path:
    env = os.environ.get("HOOKDEBATE_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "data"


def _load_toml(path: Path) -> dict:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise AnalysisError(f"cannot read lexicon {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise AnalysisError(f"{path}: invalid TOML: {e}") from None


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str
    terms: tuple[str, ...]
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    aliases: tuple[str, ...]
    when_negated: str | None = None  # id to cite instead when the mention is negated/refused
    unless: re.Pattern | None = None  # not cited when the sentence matches this (a more specific concept)


class Lexicon:
    def __init__(self, path: Path | None = None):
        path = path or data_dir() / "lexicon" / "concepts.toml"
        raw = _load_toml(path)
        self.concepts: list[Concept] = []
        seen = set()
        for i, c in enumerate(raw.get("concept", [])):
            if "id" not in c:
                raise AnalysisError(f"{path}: concept #{i + 1} has no id")
            if c["id"] in seen:
                raise AnalysisError(f"{path}: duplicate concept id {c['id']!r}")
            seen.add(c["id"])
            try:
                pats = tuple(re.compile(p, re.I) for p in c.get("patterns", []))
                pats += tuple(re.compile(r"(?<![\w])" + re.escape(t) + r"(?![\w])") for t in c.get("terms", []))
            except re.error as e:
                raise AnalysisError(f"{path}: concept {c['id']!r}: bad pattern: {e}") from None
            self.concepts.append(Concept(c["id"], c.get("kind", "concept"), tuple(c.get("terms", [])),
                                         tuple(c.get("phrases", [])), pats, tuple(c.get("aliases", [])),
                                         c.get("when_negated"),
                                         re.compile(c["unless"]) if c.get("unless") else None))
        self.symbols: list[tuple[re.Pattern, str, str]] = []
        for s in raw.get("symbol", []):
            try:
                self.symbols.append((re.compile(s["regex"]), s["id"], s.get("kind", "symbol")))
            except (KeyError, re.error) as e:
                raise AnalysisError(f"{path}: bad [[symbol]] rule {s!r}: {e}") from None
        self.by_id = {c.id: c for c in self.concepts}
        self.alias = {a: c.id for c in self.concepts for a in c.aliases}
        self._matcher = None

    def kind(self, concept_id: str) -> str:
        c = self.by_id.get(concept_id)
        if c is not None:
            return c.kind
        for rx, _fmt, kind in self.symbols:
            if rx.fullmatch(concept_id) or rx.fullmatch(concept_id.rstrip("()") + "()"):
                return kind
        return "symbol"

    def canonical(self, concept_id: str) -> str:
        return concept_id if concept_id in self.by_id else self.alias.get(concept_id, concept_id)

    def phrase_matcher(self, nlp):
        if self._matcher is None:
            from spacy.matcher import PhraseMatcher

            m = PhraseMatcher(nlp.vocab, attr="LOWER")
            for c in self.concepts:
                if c.phrases:
                    m.add(c.id, [nlp.make_doc(p) for p in c.phrases])
            self._matcher = m
        return self._matcher

    def find(self, text: str, doc=None) -> tuple[str, ...]:
        """Concept ids cited in text, in order of first mention."""
        hits: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = []
        for c in self.concepts:
            if c.unless is not None and c.unless.search(text):
                continue
            for p in c.patterns:
                m = p.search(text)
                if m:
                    cid = c.id
                    if c.when_negated and _negated_mention(text, m.start(), doc):
                        cid = c.when_negated
                    hits.append((m.start(), cid))
                    spans.append(m.span())
                    break
        if any(c.phrases for c in self.concepts):
            if doc is None:
                doc = _nlp_for(None).make_doc(text)  # tokenizer only
            matcher = self.phrase_matcher(_nlp_for(doc))
            for match_id, start, _end in matcher(doc):
                # match offsets are Doc-level even when matching a Span
                hits.append((getattr(doc, "doc", doc)[start].idx - doc[0].idx, doc.vocab.strings[match_id]))
        for rx, fmt, _kind in self.symbols:
            for m in rx.finditer(text):
                if any(s <= m.start() < e for s, e in spans):
                    continue
                cid = self.canonical(fmt.format(m.group(0), *m.groups()))
                hits.append((m.start(), cid))
                spans.append(m.span())
        out: dict[str, None] = {}
        for _, cid in sorted(hits):
            out.setdefault(cid, None)
        return tuple(out)


_NEG_BEFORE = re.compile(r"\b(not|never|no|without|nor|against|opposed to)\b|n't\b", re.I)


NEG_DEPTH = 2
_REFUSAL = {"oppose", "opposed", "opposing", "reject", "rejected", "rejecting", "object", "objected"}


def _negated_mention(text: str, start: int, doc) -> bool:
    """Is the mention at text[start:] negated or refused? With a parse: a governor up
    to NEG_DEPTH levels up has a negation child; without: a negation just before."""
    if doc is None:
        return bool(_NEG_BEFORE.search(text[max(0, start - 24): start]))
    base = doc[0].idx
    tok = next((t for t in doc if t.idx - base >= start), None)
    if tok is None:
        return False
    cur = tok
    for _ in range(NEG_DEPTH):
        if any(c.dep_ == "neg" or c.lower_ in ("never", "no") and c.dep_ in ("neg", "advmod", "det") for c in cur.children):
            return True
        if cur.lower_ in _REFUSAL or cur.head is cur:
            return cur.lower_ in _REFUSAL
        cur = cur.head
    return False


def _nlp_for(doc):
    from analysis.nlp import get_nlp

    return get_nlp()


@functools.lru_cache(maxsize=4)
def get_lexicon(path: str | None = None) -> Lexicon:
    return Lexicon(Path(path) if path else None)


@functools.lru_cache(maxsize=4)
def get_cues(path: str | None = None) -> dict:
    p = Path(path) if path else data_dir() / "lexicon" / "cues.toml"
    raw = _load_toml(p)
    out: dict = {}
    try:
        for side in ("attack", "support"):
            sec = raw[side]
            out[side] = {
                "strong": [re.compile(x, re.I) for x in sec.get("strong", []) if x not in sec.get("stance", [])],
                "weak": [re.compile(x, re.I) for x in sec.get("weak", [])],
                "stance": [re.compile(x, re.I) for x in sec.get("stance", [])],
                "fixed": {x for x in sec.get("fixed", [])},
            }
            out[side]["fixed_rx"] = [re.compile(x, re.I) for x in sec.get("fixed", [])]
        out["neutral"] = [re.compile(x, re.I) for x in raw.get("neutral", {}).get("patterns", [])]
        out["concessive"] = [re.compile(x, re.I) for x in raw.get("concessive", {}).get("patterns", [])]
        out["hedge"] = [re.compile(x, re.I) for x in raw.get("hedge", {}).get("patterns", [])]
        out["concession"] = [re.compile(x, re.I) for x in raw.get("concession", {}).get("patterns", [])]
        out["trailers"] = {k: [t.lower() for t in v] for k, v in raw.get("trailers", {}).items()}
        ct = raw.get("claim_types", {})
        out["claim_types"] = {k: [re.compile(x, re.I) for x in ct.get(k, [])] for k in ("proposal", "normative")}
    except KeyError as e:
        raise AnalysisError(f"{p}: missing section {e}") from None
    except re.error as e:
        raise AnalysisError(f"{p}: bad regex: {e}") from None
    return out
