"""Attack/support cues in a sentence, with negation scope from the dependency parse."""
from __future__ import annotations

from dataclasses import dataclass

from analysis.lexicon import get_cues
from analysis.screen import group, lowered, search

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
    heads = set(toks)
    for t in toks:
        # a complement inherits its governor's negation ("doesn't make sense", "not a good
        # idea"); a coordinated clause does not ("I wouldn't X, but I would agree")
        if t.dep_ in ("acomp", "attr", "xcomp", "dobj", "pobj", "amod", "prep", "advmod", "npadvmod", "aux"):
            heads.add(t.head)
    for h in heads:
        for c in h.children:
            if c.dep_ == "neg" or (c.lower_ in NEG_WORDS and c.dep_ in ("det", "advmod")):
                return True
    first = toks[0].i
    window = sent.doc[max(sent.start, first - 3):first]
    return any(t.lower_ in NEG_WORDS and not _in_other_clause(t, toks[0]) for t in window)


def _in_other_clause(t, cue) -> bool:
    """Is t inside an adverbial clause that does not hold the cue ("If nobody objects,
    I will queue it": "nobody" does not negate "I will queue")?"""
    cur, steps = t, 0
    while cur.head is not cur and steps < 6:
        if cur.dep_ == "advcl" and cue not in cur.subtree:
            return True
        cur, steps = cur.head, steps + 1
    return False


FIRST_PERSON = {"i", "me", "my", "we", "our", "us", "i'm", "i've", "i'd"}


OTHER_PERSON = {"you", "your", "he", "his", "she", "her", "they", "their", "them", "everyone", "nobody",
                "somebody", "someone", "people", "folks", "others"}


def _a_person(tok) -> bool:
    """Does this token name someone other than the writer (a pronoun or a name)?"""
    return tok.lower_ in OTHER_PERSON or tok.pos_ == "PROPN" or tok.ent_type_ == "PERSON"


def _held_by_writer(sent, char_start: int) -> bool:
    """Is a stance cue the writer's own ("I object", "my NACK", "NAK.") rather than
    reported ("you remain the only one opposed", "Eric's NACK")?"""
    base = sent.start_char
    tok = next((t for t in sent if t.idx >= base + char_start), None)
    cur, steps = tok, 0
    while cur is not None and steps < 4:
        holders = [c for c in cur.children if c.dep_ in ("nsubj", "nsubjpass", "poss")]
        if holders:
            # the writer's own, or a thing's ("this patch is now queued", "Thanks, applied"):
            # only another person as holder makes the cue reported
            return any(h.lower_ in FIRST_PERSON for h in holders) or not any(_a_person(h) for h in holders)
        if cur.head is cur:
            break
        cur, steps = cur.head, steps + 1
    return True  # elliptical ("NAK.", "Strong objection here") or imperative ("please drop this")


def _hypothetical(sent, char_start: int) -> bool:
    """Is the cue inside an if-clause ("if anything below is wrong")?"""
    base = sent.start_char
    tok = next((t for t in sent if t.idx >= base + char_start), None)
    cur, steps = tok, 0
    while cur is not None and steps < 4:
        if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in cur.children):
            return True
        if cur.head is cur:
            break
        cur, steps = cur.head, steps + 1
    return False


def sentence_cues(sent, strengths: tuple[str, ...] = ("stance", "strong", "weak")) -> list[CueHit]:
    """Cue hits in one spaCy sentence span (of the strengths asked for: the stance cues alone
    for text read without the parse, see analysis.pipeline.FULL_READ_CHARS)."""
    cues = get_cues()
    text = sent.text
    low = lowered(text)
    sides = (cues["attack"], cues["support"])
    may = group(cues["hedge"], *(s[k] for s in sides for k in ("stance", "strong", "weak"))).candidates(text, low)
    if any(rx in may and rx.search(text) for rx in cues["hedge"]):
        return []
    question = text.rstrip().rstrip(")\"'").endswith("?")
    hits: list[CueHit] = []
    taken: list[tuple[int, int]] = []
    for strength, weight in (("stance", STRONG), ("strong", STRONG), ("weak", WEAK)):
        if strength not in strengths:
            continue
        if strength == "weak" and hits:
            break  # a sentence with a strong cue is decided by it
        for side in ("attack", "support"):
            other = "support" if side == "attack" else "attack"
            for rx in cues[side][strength]:
                m = rx.search(text) if rx in may else None
                if not m:
                    continue
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                if strength == "stance" and (question or not _held_by_writer(sent, m.start())):
                    continue  # "Any objections?", "Can I add your Acked-by?": asked, not given
                if strength != "weak" and _hypothetical(sent, m.start()):
                    continue
                taken.append(m.span())
                neg = False
                if strength != "weak" and rx.pattern not in cues[side]["fixed"]:
                    neg = _negated(sent, m.start(), m.end())
                final = other if neg else side
                kind, w = strength, weight
                if final == "support" and strength == "strong" and any(
                        rx2.search(text, m.end()) for rx2 in cues["concessive"]):
                    kind, w = "weak", WEAK  # "Yes, that's true, but ..."
                hits.append(CueHit(final, w, m.group(0), neg, kind))
    return hits


def is_neutral_statement(text: str) -> bool:
    low = lowered(text)
    return any(search(rx, text, low) for rx in get_cues()["neutral"])
