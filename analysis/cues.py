"""Attack/support cues in a sentence, with negation scope from the dependency parse."""
from __future__ import annotations

from dataclasses import dataclass

from analysis.lexicon import get_cues

NEG_WORDS = {"not", "n't", "never", "no", "hardly", "nothing", "nobody", "neither", "nor"}
STRONG, WEAK = 1.0, 0.35


@dataclass(frozen=True)
class CueHit:
    side: str  # "attack" | "support"
    weight: float
    cue: str  # the matched text
    negated: bool
    kind: str = "strong"  # "stance" (a position on the whole proposal) | "strong" | "weak"


def _negated(sent, char_start: int, char_end: int) -> bool:
    """Is the cue at [char_start, char_end) (offsets into sent.text) under negation?"""
    base = sent.start_char
    toks = [t for t in sent if base + char_start <= t.idx < base + max(char_end, char_start + 1)]
    if not toks:
        return False
    if any(t.lower_ in NEG_WORDS for t in toks):
        return False  # the cue itself contains its negation; the pattern knows what it means
    heads = set()
    for t in toks:
        heads.add(t)
        heads.add(t.head)
        if t.dep_ in ("acomp", "attr", "xcomp", "dobj", "ccomp") or t.pos_ in ("NOUN", "ADJ"):
            heads.add(t.head)
    for h in heads:
        for c in h.children:
            if c.dep_ == "neg" or (c.lower_ in NEG_WORDS and c.dep_ in ("det", "advmod")):
                return True
    first = toks[0].i
    window = sent.doc[max(sent.start, first - 3):first]
    return any(t.lower_ in NEG_WORDS for t in window)


def sentence_cues(sent) -> list[CueHit]:
    """Cue hits in one spaCy sentence span."""
    cues = get_cues()
    text = sent.text
    hits: list[CueHit] = []
    taken: list[tuple[int, int]] = []
    for strength, weight in (("stance", STRONG), ("strong", STRONG), ("weak", WEAK)):
        if strength == "weak" and hits:
            break  # a sentence with a strong cue is decided by it
        for side in ("attack", "support"):
            other = "support" if side == "attack" else "attack"
            for rx in cues[side][strength]:
                m = rx.search(text)
                if not m:
                    continue
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                taken.append(m.span())
                neg = False
                if strength != "weak" and rx.pattern not in cues[side]["fixed"]:
                    neg = _negated(sent, m.start(), m.end())
                hits.append(CueHit(other if neg else side, weight, m.group(0), neg, strength))
    return hits


def is_neutral_statement(text: str) -> bool:
    return any(rx.search(text) for rx in get_cues()["neutral"])


def is_concession(text: str) -> bool:
    return any(rx.search(text) for rx in get_cues()["concession"])
