"""A cheap necessary test before a regular expression search.

Most of the analysis' cue and concept patterns find nothing in most sentences, and a
`re` search that cannot start from a literal prefix (`\\bnot (true|correct)\\b`) walks the
whole text. For each pattern this module derives, from the pattern's own parse, a set of
literal strings one of which every match must contain (`{"not "}`, `{"nak"}`), and
`search()` looks for those with `in` before running the pattern. The test only ever says
"cannot match" when the pattern cannot match, so results are those of `rx.search(text)`:

- a run of literal characters in a sequence, a group, a repeat of at least one, or every
  alternative of a branch gives factors; anything else (classes, lookarounds, optional
  parts, back-references) gives none for that part, and a pattern without any is searched
  as before;
- for an IGNORECASE part the factor is lower-cased and looked for in the lower-cased text,
  which is exact only for ASCII: text with other characters (whose case folding `re`
  treats specially: the Kelvin sign, the long s) is searched as before, and so is a
  pattern whose case-insensitive literal is not ASCII.
"""
from __future__ import annotations

import re

try:
    from re import _constants as _C
    from re import _parser as _sre_parse
except ImportError:  # Python < 3.11
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_REPEATS = tuple(x for x in (getattr(_C, "MAX_REPEAT", None), getattr(_C, "MIN_REPEAT", None),
                             getattr(_C, "POSSESSIVE_REPEAT", None)) if x is not None)
_ATOMIC = getattr(_C, "ATOMIC_GROUP", None)
_UNKNOWN = object()
_FACTORS: dict = {}  # compiled pattern -> frozenset of (literal, ignorecase) or None


def _shortest(s) -> int:
    return min(len(x) for x, _ in s)


def _sequence(items, icase: bool):
    best = None
    run: list[str] = []
    run_icase = icase

    def consider(s):
        nonlocal best
        if s is not None and (best is None or _shortest(s) > _shortest(best)):
            best = s

    for op, av in items:
        if op is _C.LITERAL:
            ch = chr(av)
            if icase and not ch.isascii():
                if run:
                    consider({("".join(run), run_icase)})
                run = []
                continue
            if run and run_icase != icase:
                consider({("".join(run), run_icase)})
                run = []
            run.append(ch.lower() if icase else ch)
            run_icase = icase
            continue
        if run:
            consider({("".join(run), run_icase)})
            run = []
        consider(_node(op, av, icase))
    if run:
        consider({("".join(run), run_icase)})
    return best


def _node(op, av, icase: bool):
    if op is _C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        inner = (icase or bool(add_flags & re.I)) and not del_flags & re.I
        return _sequence(list(p), inner)
    if op is _C.BRANCH:
        out: set = set()
        for alt in av[1]:
            s = _sequence(list(alt), icase)
            if s is None:
                return None
            out |= s
        return out
    if op in _REPEATS:
        lo, _hi, p = av
        return _sequence(list(p), icase) if lo >= 1 else None
    if _ATOMIC is not None and op is _ATOMIC:
        return _sequence(list(av), icase)
    return None


def factors(rx: re.Pattern):
    """frozenset of (literal, ignorecase): every match of rx contains one of the literals (an
    ignorecase one in lower case, for ASCII text); None when the parse gives none."""
    if not isinstance(rx.pattern, str) or rx.flags & (re.VERBOSE | re.LOCALE | re.ASCII):
        return None
    try:
        tree = _sre_parse.parse(rx.pattern, rx.flags)
    except Exception:  # noqa: BLE001  (an internal parser that changed: no screening)
        return None
    s = _sequence(list(tree), bool(tree.state.flags & re.I))
    if not s or any(not x for x, _ in s):
        return None
    return frozenset(s)


def lowered(text: str) -> str | None:
    """What search() compares IGNORECASE factors with: the lower-cased text, or None for
    text that is not ASCII (then every pattern is searched)."""
    return text.lower() if text.isascii() else None


def may_match(rx: re.Pattern, text: str, lower: str | None) -> bool:
    """False only when rx cannot match text (lower: lowered(text))."""
    f = _FACTORS.get(rx, _UNKNOWN)
    if f is _UNKNOWN:
        f = _FACTORS[rx] = factors(rx)
    if f is None or lower is None:
        return True
    for lit, icase in f:
        if lit in (lower if icase else text):
            return True
    return False


def search(rx: re.Pattern, text: str, lower: str | None):
    """rx.search(text), skipped when may_match() says it cannot match."""
    return rx.search(text) if may_match(rx, text, lower) else None


def any_match(patterns, text: str) -> bool:
    """any(rx.search(text) for rx in patterns), screened."""
    low = lowered(text)
    return any(may_match(rx, text, low) and rx.search(text) for rx in patterns)


class Group:
    """may_match() for a fixed collection of patterns at once: candidates(text, lower) is the
    set of those that may match (a superset of those that do), from one pass over the distinct
    literals the patterns require instead of one test per pattern."""

    def __init__(self, patterns):
        self.all = frozenset(patterns)
        always: set = set()
        by: dict = {}
        for rx in self.all:
            f = _FACTORS.get(rx, _UNKNOWN)
            if f is _UNKNOWN:
                f = _FACTORS[rx] = factors(rx)
            if f is None:
                always.add(rx)
                continue
            for lit in f:
                by.setdefault(lit, set()).add(rx)
        self.always = frozenset(always)
        self.icase = tuple((lit, frozenset(ps)) for (lit, ic), ps in by.items() if ic)
        self.case = tuple((lit, frozenset(ps)) for (lit, ic), ps in by.items() if not ic)

    def candidates(self, text: str, lower: str | None):
        if lower is None:
            return self.all
        out = set(self.always)
        for lit, ps in self.icase:
            if lit in lower:
                out |= ps
        for lit, ps in self.case:
            if lit in text:
                out |= ps
        return out


_GROUPS: dict = {}  # ids of the collections -> (the collections, kept alive; Group)


def group(*collections) -> Group:
    """The Group of the patterns in these collections (made once per collections, which must
    not change afterwards: the cue and lexicon tables are built once)."""
    key = tuple(map(id, collections))
    hit = _GROUPS.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], collections)):
        hit = _GROUPS[key] = (collections, Group(rx for c in collections for rx in c))
    return hit[1]
