"""Concept lexicon (data/lexicon/concepts.toml) and cue lexicon (cues.toml).

Concepts are recognized by regex (kernel spellings, inflected phrases) and by a
spaCy PhraseMatcher over the `phrases` lists; generic symbol rules catch kernel
symbols the lexicon does not list. No spaCy import at module load.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError
from analysis.screen import group, lowered
from semantics import data_dir  # noqa: F401  (the one place the data directory is decided)


def read_toml(path, cannot_read: str) -> dict:
    """A TOML data file of the analysis; an unreadable or invalid one is a one-line AnalysisError
    (cannot_read: how the first kind begins; the errno's words follow)."""
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise AnalysisError(f"{cannot_read}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise AnalysisError(f"{path}: invalid TOML: {e}") from None


def _load_toml(path: Path) -> dict:
    return read_toml(path, f"cannot read lexicon {path}")


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
    unless_window: int | None = None  # ... only within this many characters of the mention
    keep_when_negated: re.Pattern | None = None  # a refused mention matching this cites both ids
    implies: tuple[str, ...] = ()  # ids cited along with this one ("ns_capable()" -> "user namespace")


TERM_MAX_WORDS = 5  # a match of at most this many words is a term; longer ones are co-occurrence patterns
_COOCCURRENCE = re.compile(r"\.[*+{]|\[\^[^\]]*\][*+{]")  # ".*", "[^.]*": words near each other, not a term


def _is_term_pattern(p: re.Pattern) -> bool:
    return not _COOCCURRENCE.search(p.pattern)


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
                unless = re.compile(c["unless"]) if c.get("unless") else None
                keep = re.compile(c["keep_when_negated"], re.I) if c.get("keep_when_negated") else None
            except re.error as e:
                raise AnalysisError(f"{path}: concept {c['id']!r}: bad pattern: {e}") from None
            self.concepts.append(Concept(c["id"], c.get("kind", "concept"), tuple(c.get("terms", [])),
                                         tuple(c.get("phrases", [])), pats, tuple(c.get("aliases", [])),
                                         c.get("when_negated"), unless, c.get("unless_window"), keep,
                                         tuple(c.get("implies", []))))
        self.symbols: list[tuple[re.Pattern, str, str]] = []
        for s in raw.get("symbol", []):
            try:
                self.symbols.append((re.compile(s["regex"]), s["id"], s.get("kind", "symbol")))
            except (KeyError, re.error) as e:
                raise AnalysisError(f"{path}: bad [[symbol]] rule {s!r}: {e}") from None
        try:
            ph = raw.get("placeholders", {}).get("regex")
            self.placeholder = re.compile(ph) if ph else None
        except re.error as e:
            raise AnalysisError(f"{path}: bad [placeholders] regex: {e}") from None
        self.by_id = {c.id: c for c in self.concepts}
        self._scan = [(c, tuple((p, _is_term_pattern(p)) for p in c.patterns)) for c in self.concepts]
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
        # one matcher per vocabulary: a pipeline loaded again (a test that clears
        # get_nlp's cache) has a new StringStore that the old matcher's ids are not in
        if self._matcher is None or self._matcher.vocab is not nlp.vocab:
            from spacy.matcher import PhraseMatcher

            m = PhraseMatcher(nlp.vocab, attr="LOWER")
            for c in self.concepts:
                if c.phrases:
                    m.add(c.id, [nlp.make_doc(p) for p in c.phrases])
            self._matcher = m
        return self._matcher

    def _screened(self) -> tuple:
        """The patterns find() screens (analysis.screen), one tuple kept for the lexicon's life."""
        if getattr(self, "_screened_patterns", None) is None:
            self._screened_patterns = tuple(
                [p for _c, pats in self._scan for p, _t in pats]
                + [c.unless for c, _p in self._scan if c.unless is not None and c.unless_window is None]
                + [rx for rx, _f, _k in self.symbols])
        return self._screened_patterns

    def find(self, text: str, doc=None) -> tuple[str, ...]:
        """Concept ids cited in text, in order of first mention.

        Every mention of every concept is found; a short mention (a term, not a
        co-occurrence pattern) inside a longer term of another concept is that
        concept's ("capabilities" inside "capability LSM", "vm_enough_memory"
        inside "cap_vm_enough_memory()"). A concept with `when_negated` whose
        mention is refused cites that id instead (see _refused)."""
        found: list[tuple[int, int, Concept, bool]] = []  # (start, end, concept, is a term) of each mention
        low = lowered(text)
        may = group(self._screened()).candidates(text, low)
        for c, pats in self._scan:
            if c.unless is not None and c.unless_window is None and c.unless in may and c.unless.search(text):
                continue
            seen_spans = set()
            for p, term in pats:
                first = p.search(text) if p in may else None
                if first is None:
                    continue
                for m in p.finditer(text, first.start()):
                    if m.end() > m.start() and m.span() not in seen_spans:
                        seen_spans.add(m.span())
                        found.append((m.start(), m.end(), c, term))
        if any(c.phrases for c in self.concepts):
            if doc is None:
                doc = _nlp_for(None).make_doc(text)  # tokenizer only
            matcher = self.phrase_matcher(_nlp_for(doc))
            base = doc[0].idx if len(doc) else 0
            full = getattr(doc, "doc", doc)
            for match_id, start, end in matcher(doc):
                # match offsets are Doc-level even when matching a Span
                s0 = full[start].idx - base
                e0 = full[end - 1].idx + len(full[end - 1].text) - base
                c = self.by_id.get(doc.vocab.strings[match_id])
                if c is not None:
                    found.append((s0, e0, c, True))
        found = [f for f in found if not _unless(f[2], text, f[0], f[1])]
        terms = [(s, e, c) for s, e, c, term in found if term and len(text[s:e].split()) <= TERM_MAX_WORDS]
        kept = [(s, e, c) for s, e, c, _t in found
                if not any(c2 is not c and s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2, c2 in terms)]
        hits: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = [(s, e) for s, e, _ in kept]
        refused: dict[str, bool] = {}  # concept id -> some mention is refused or denied
        keep: dict[str, bool] = {}  # concept id -> a refused mention names the idea itself
        for s, e, c in kept:
            if c.when_negated:
                mode = _refused(text, s, doc)
                refused[c.id] = refused.get(c.id, False) or mode is not None
                keep[c.id] = keep.get(c.id, False) or (
                    mode == "refused" and c.keep_when_negated is not None and bool(c.keep_when_negated.search(text[s:e])))
        for s, e, c in sorted(kept, key=lambda x: x[0]):
            ids = [c.id]
            if refused.get(c.id):
                ids = [c.id, c.when_negated] if keep.get(c.id) else [c.when_negated]
            for cid in ids:
                hits.append((s, cid))
                hits.extend((s, x) for x in self.by_id[cid].implies if cid in self.by_id)
        for rx, fmt, _kind in self.symbols:
            if rx not in may:
                continue
            for m in rx.finditer(text):
                if any(s <= m.start() < e for s, e in spans):
                    continue
                if self.placeholder is not None and self.placeholder.search(m.group(0)):
                    continue  # CAP_WHATEVER, security_xxx: a stand-in, not a kernel symbol
                cid = self.canonical(fmt.format(m.group(0), *m.groups()))
                hits.append((m.start(), cid))
                spans.append(m.span())
        out: dict[str, None] = {}
        for _, cid in sorted(hits, key=lambda h: h[0]):
            out.setdefault(cid, None)
        return tuple(out)


def _unless(c: Concept, text: str, start: int, end: int) -> bool:
    """Does the concept's `unless` rule drop this mention (the whole sentence, or a window
    around the mention when `unless_window` is set)?"""
    if c.unless is None:
        return False
    if c.unless_window is None:
        return bool(c.unless.search(text))
    w = c.unless_window
    return bool(c.unless.search(text[max(0, start - w): end + w]))


_NEG_BEFORE = re.compile(r"\b(not|never|no|without|nor|against|opposed to)\b|n't\b", re.I)


REFUSAL_DEPTH = 6  # governors walked up from a mention looking for a refusal
_REFUSAL = {"oppose", "opposed", "opposing", "reject", "rejected", "rejecting", "object", "objected",
            "objecting", "refuse", "refused", "nak", "nack", "nacked", "veto", "vetoed"}
# a negated verb of description denies that a description fits ("it's not bypassing",
# "I wouldn't call this bypassing"): the writer still talks about the thing, not against it
_DESCRIBE = {"be", "is", "are", "was", "were", "'s", "'re", "been", "being", "view", "call", "consider",
             "describe", "characterize", "regard", "see", "think", "say", "seem", "look", "sound"}
_NEG_CHILD = {"not", "n't", "never", "no"}
_COPULA = {"be", "is", "are", "was", "were", "'s", "'re", "been", "being", "am", "'m"}
_MODAL = {"can", "ca", "could", "should", "must", "may", "might", "shall", "sha"}


def _refused(text: str, start: int, doc) -> str | None:
    """Is the mention at text[start:] refused (argued against rather than described)?
    Returns "refused", "predicate" (denied as a property: "LSMs are not authoritative",
    i.e. the opposite holds) or None.

    With a parse: walking up from the mention's token (at most REFUSAL_DEPTH governors,
    not across coordinated or juxtaposed clauses), a governor that is a refusal word
    ("opposed", "rejected") or that is negated ("should never be allowed to", "not by
    modifying ... to bypass", "I'm not supportive of a hook which ...") refuses it. A
    negation on the mention itself or on a verb of description ("it's not bypassing",
    "I wouldn't view this as bypassing") denies a description instead: not refused,
    except for the predicate of a negated copula. Without a parse: a negation just before
    the mention."""
    if doc is None:
        return "refused" if _NEG_BEFORE.search(text[max(0, start - 24): start]) else None
    base = doc[0].idx
    tok = next((t for t in doc if t.idx - base >= start), None)
    if tok is None:
        return None
    cur, prev = tok, None
    for depth in range(REFUSAL_DEPTH + 1):
        if cur.lower_ in _REFUSAL:
            return "refused"
        negated = any(c.dep_ == "neg" or (c.lower_ in _NEG_CHILD and c.dep_ in ("advmod", "det"))
                      for c in cur.children)
        if negated:
            if depth == 0:  # "it cannot grant access" refuses; "it's not bypassing" describes
                return "refused" if any(c.lower_ in _MODAL and c.dep_ == "aux" for c in cur.children) else None
            if prev is not None and prev.dep_ in ("acomp", "attr") and cur.lemma_ in ("be", "") and \
                    cur.lower_ in _COPULA:
                return "predicate"
            return "refused" if cur.lower_ not in _DESCRIBE and cur.pos_ != "AUX" else None
        if cur.head is cur or cur.dep_ in ("conj", "parataxis"):
            return None
        prev, cur = cur, cur.head
    return None


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
        out["neutral"] = [re.compile(x, re.I) for x in raw.get("neutral", {}).get("patterns", [])]
        out["concessive"] = [re.compile(x, re.I) for x in raw.get("concessive", {}).get("patterns", [])]
        out["hedge"] = [re.compile(x, re.I) for x in raw.get("hedge", {}).get("patterns", [])]
        out["trailers"] = {k: [t.lower() for t in v] for k, v in raw.get("trailers", {}).items()}
        out["automated"] = [re.compile(x, re.I) for x in raw.get("automated", {}).get("senders", [])]
        out["requests"] = [re.compile(x, re.I) for x in raw.get("requests", {}).get("patterns", [])]
        ev = raw.get("evaluative", {})
        out["evaluative"] = {k: [re.compile(x, re.I) for x in ev.get(k, [])] for k in ("positive", "negative")}
        out["evaluative_negation"] = re.compile(ev.get("negation", r"(?!)"), re.I)
        out["not_evidence"] = [re.compile(x, re.I) for x in raw.get("not_evidence", {}).get("patterns", [])]
        ct = raw.get("claim_types", {})
        out["claim_types"] = {k: [re.compile(x, re.I) for x in ct.get(k, [])] for k in ("question", "proposal", "normative")}
    except KeyError as e:
        raise AnalysisError(f"{p}: missing section {e}") from None
    except re.error as e:
        raise AnalysisError(f"{p}: bad regex: {e}") from None
    return out


def is_automated_sender(name: str | None, address: str | None, cues: dict | None = None) -> bool:
    """Is "Name <address>" a robot (build/test bot, fuzzer, merge notifier)? The senders are
    listed in data/lexicon/cues.toml, [automated]."""
    sender = f"{name or ''} <{(address or '').lower()}>"
    return any(rx.search(sender) for rx in (cues or get_cues()).get("automated", ()))
