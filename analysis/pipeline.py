"""analyze(): one thread in, ThreadAnalysis out.

Steps: thread tree -> identities -> segments -> reply blocks (new text + the
quoted block it answers) -> sentences (spaCy, batched) -> claims (type, cited
concepts) and cue hits -> reply relations -> per-message stance toward the
proposal (propagated through who answers whom) -> per-person positions.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Iterable, Iterator, Mapping

from analysis.errors import AnalysisError
from analysis.identity import PersonIndex, merge_identities
from analysis.lexicon import get_cues, is_automated_sender
from analysis.model import (Claim, Evidence, MessageStance, Position, ReplyPair, ReplyTarget, Segment,
                            ThreadAnalysis)
from analysis.screen import any_match, group, lowered, may_match, search
from analysis.segment import is_snip_marker, looks_like_code, norm, own_text, segment_message
from analysis.subjects import (has_patch_tag, is_reply, is_series_message, without_prefixes_and_tags,
                               without_reply_prefix)
from analysis.threading import build_tree
from mailrecords import Message

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_GREETING = re.compile(r"^\s*(hi|hello|hey|dear|thanks|thank you|thx|regards|cheers|best|ack|greetings)\b[^.?!]{0,40}[.,!]?\s*$", re.I)
_CODE_LINE = re.compile(r"^(\t|    |\s*[{}]\s*$|\s*(if|for|while|return|static|struct)\b.*[;{)]\s*$)")
T_DECIDE = 0.7  # cue mass needed to call a side
WEAK_DENSITY = 0.25  # share of a block's sentences that must carry weak cues for them to count
WEAK_CAP = 1.0  # weak cues of one block weigh at most this much
# Measured on the dev set and rejected: inheriting cites from the previous sentence or from
# the quoted code when a sentence says "this"/"it" lowered cited-concept F1 (0.74 -> 0.72-0.73).
_ANAPHOR = re.compile(r"\b(this|that|these|those|it|they|such|here|the (check|hook|helper|function|flag|sysctl|command))\b", re.I)


def _date(m: Message) -> datetime:
    d = m.date
    if d is None:
        return _EPOCH
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


@dataclass
class _Block:
    message_id: str
    segments: list[Segment]
    target: ReplyTarget | None
    target_is_code: bool = False
    sentences: list = field(default_factory=list)  # spaCy spans
    light_sentences: list = field(default_factory=list)  # (span, next text): read without the parse
    attack: float = 0.0
    support: float = 0.0
    hits: list = field(default_factory=list)  # (CueHit, sentence text)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.segments)


def _paragraphs(text: str) -> list[str]:
    """Whitespace-collapsed paragraphs of a new-text block (snip markers dropped).
    A code paragraph that follows a paragraph ending in ':' joins it."""
    raw: list[list[str]] = []
    cur: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or is_snip_marker(line):
            if cur:
                raw.append(cur)
                cur = []
            if line.strip():
                raw.append([])  # a snip marker: what follows is not contiguous with what precedes
            continue
        cur.append(line)
    if cur:
        raw.append(cur)
    out: list[str] = []
    prev_colon = False
    for para in raw:
        if not para:
            prev_colon = False
            continue
        is_code = all(_CODE_LINE.match(x) or not x.strip() for x in para)
        text_ = norm(" ".join(para))
        if is_code and prev_colon and out:
            out[-1] = out[-1] + " " + text_
        else:
            out.append(text_)
        prev_colon = out[-1].endswith(":")
    return [p for p in out if p]


# Quotes are looked for in at most this many ancestors (the root and the nearest others): a
# reply chain thousands deep would otherwise cost depth x text per message. Real threads are
# far shallower (the 2022 list's deepest is 32).
MAX_ANCESTORS = 100


def _ancestors_in_order(tree, by_id) -> Iterator[tuple[Message, list[Message]]]:
    """(message, its ancestors root first, parent last) for each message in tree order; past
    MAX_ANCESTORS the root and the nearest MAX_ANCESTORS - 1. The order is depth-first (each
    parent just before its subtree), so the ancestors of the message at hand are the path
    from its root kept on a stack: each message is pushed and popped once, where walking up
    from every message costs depth x MAX_ANCESTORS on a deep chain."""
    path: list[Message] = []  # the root ... the message before, along its parent links
    for mid in tree.order:
        p = tree.parent_of.get(mid)
        if p is None:
            path.clear()
        else:
            while path and path[-1].message_id != p:
                path.pop()
            if not path:  # not depth-first after all: walk up from the parent
                cur: str | None = p
                while cur is not None:
                    path.append(by_id[cur])
                    cur = tree.parent_of.get(cur)
                path.reverse()
        if len(path) <= MAX_ANCESTORS:
            up = path[:]
        else:  # deeper than the cap: keep the root in front of the nearest ones
            up = [path[0]] + path[1 - MAX_ANCESTORS:]
        m = by_id[mid]
        yield m, up
        path.append(m)


# Bounds on what one message can cost (issue 15). spaCy reads text in pieces of at most
# PIECE_CHARS (a paragraph longer than that is cut after its last sentence end, else its last
# space, else hard), in batches of at most BATCH_CHARS (its memory grows with the text of a
# batch, not the number of docs); a message's first FULL_READ_CHARS of new text get the whole
# reading (parse, claims, cues, concepts), the rest is split into sentences by rule and read for
# the writer's stance cues only, and analysis.extra["read_in_part"] names such messages. Real
# mail is far below all three: the 2022 list's longest paragraph is 17,013 characters and its
# longest new text 93,774 (a robot's build report).
PIECE_CHARS = 20_000
BATCH_CHARS = 200_000
FULL_READ_CHARS = 200_000
_PIECE_END = re.compile(r"[.?!][)\]\"']?\s")


def _pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """text in pieces of at most limit characters, cut after a sentence end in the second half
    of a piece, else at its last space, else at limit (text without sentences or spaces)."""
    if len(text) <= limit:
        return [text]
    out = []
    start = 0
    while len(text) - start > limit:
        window = text[start:start + limit]
        cut = 0
        for m in _PIECE_END.finditer(window, limit // 2):
            cut = m.end()
        if not cut:
            space = window.rfind(" ", limit // 2)
            cut = space + 1 if space > 0 else limit
        piece = text[start:start + cut].strip()
        if piece:
            out.append(piece)
        start += cut
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


# Parsed pieces are kept for the next thread (and the next message) that holds the same piece:
# a series' cover letter and patch descriptions come back in every version's thread, a
# paragraph in several messages of one. spaCy's parse of a text does not depend on what else
# is in its batch (tests/test_analysis_speedups.py checks a cached reading against a fresh one),
# so a kept Doc is what parsing the piece again would give. At most PARSE_CACHE_CHARS of text
# (least recently used out first; 0: no cache), kept without the tok2vec tensor, which the
# analysis does not read (about 60 MB at the default).
PARSE_CACHE_CHARS = 1_000_000


class _ParseCache:
    def __init__(self):
        from collections import OrderedDict

        self.docs: OrderedDict = OrderedDict()
        self.chars = 0
        self.nlp = None

    def get(self, nlp, text: str):
        if nlp is not self.nlp:
            self.docs.clear()
            self.chars, self.nlp = 0, nlp
        doc = self.docs.get(text)
        if doc is not None:
            self.docs.move_to_end(text)
        return doc

    def put(self, text: str, doc, limit: int) -> None:
        if len(text) > limit or text in self.docs:
            return
        import numpy

        doc.tensor = numpy.zeros((0,), dtype="float32")
        self.docs[text] = doc
        self.chars += len(text)
        while self.chars > limit:
            old, _ = self.docs.popitem(last=False)
            self.chars -= len(old)


_PARSED = _ParseCache()


def _parse(nlp, jobs: list):
    """(doc, context) for (text, context) jobs: each distinct text parsed once, and not at all
    when it is in the parse cache."""
    limit = PARSE_CACHE_CHARS
    if limit <= 0:
        yield from _parse_all(nlp, jobs)
        return
    docs: dict = {}
    todo: list = []
    for text, _ in jobs:
        if text not in docs:
            doc = _PARSED.get(nlp, text)
            docs[text] = doc
            if doc is None:
                todo.append((text, text))
    for doc, text in _parse_all(nlp, todo):
        docs[text] = doc
        _PARSED.put(text, doc, limit)
    for text, ctx in jobs:
        yield docs[text], ctx


def _parse_all(nlp, jobs: list):
    """nlp.pipe over (text, context) jobs in batches of 64 (the pipeline's reading of real
    threads); a batch holding more than BATCH_CHARS of text is cut into smaller ones."""
    batches = [jobs[i:i + 64] for i in range(0, len(jobs), 64)]
    if all(sum(len(x) for x, _ in batch) <= BATCH_CHARS for batch in batches):
        yield from nlp.pipe(jobs, as_tuples=True, batch_size=64)
        return
    for batch in batches:
        part: list = []
        size = 0
        for job in batch + [None]:
            if job is None or (part and size + len(job[0]) > BATCH_CHARS):
                if part:
                    yield from nlp.pipe(part, as_tuples=True, batch_size=len(part))
                part, size = [], 0
            if job is not None:
                part.append(job)
                size += len(job[0])


@functools.lru_cache(maxsize=1)
def _stance_probes(cues_id: int) -> tuple[re.Pattern, ...]:
    """The stance cue patterns unanchored (a sentence-start '^' matches anywhere): a search of a
    whole piece with them finds every sentence that may hold a stance cue; analysis.screen
    skips a pattern whose required literals the piece lacks (a substring test, far cheaper
    than the search)."""
    cues = get_cues()
    return tuple(re.compile(rx.pattern[1:] if rx.pattern.startswith("^") else rx.pattern, rx.flags)
                 for side in ("attack", "support") for rx in cues[side]["stance"])


def _light_sentences(nlp, piece: str) -> list:
    """(sentence span, the next sentence's text) for the sentences of a piece read without the
    parse that may hold a stance cue: sentences split by rule (after '.', '?' or '!' and a
    space), only the candidates tokenized (spaCy's tokenizer, one doc each)."""
    starts = [0] + [m.end() for m in _PIECE_END.finditer(piece)]
    ends = starts[1:] + [len(piece)]
    wanted: set[int] = set()
    lower = lowered(piece)
    for rx in _stance_probes(id(get_cues())):
        if not may_match(rx, piece, lower):
            continue
        for m in rx.finditer(piece):
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.start(), m.end() - 1)) - 1
            wanted.update(range(first, last + 1))
    out = []
    for i in sorted(wanted):
        text = piece[starts[i]:ends[i]].strip()
        if text:
            after = piece[starts[i + 1]:ends[i + 1]].strip() if i + 1 < len(starts) else ""
            out.append((nlp.make_doc(text)[:], after))
    return out


def _is_series_message(m: Message, root: Message, proposer: str, author_of: Mapping[str, str]) -> bool:
    return author_of.get(m.message_id) == proposer and (
        m.message_id == root.message_id or is_series_message(m.subject))


def proposal_text(root: Message, segments: Iterable[Segment]) -> str:
    subject = norm(root.subject or "")
    opening = ""
    for s in segments:
        if s.kind == "new":
            paras = _paragraphs(s.text)
            if paras:
                opening = paras[0]
                if len(opening) < 200 and len(paras) > 1:
                    opening += " " + paras[1]
                break
    if len(opening) > 700:
        cut = opening.rfind(". ", 0, 700)
        opening = opening[: cut + 1] if cut > 200 else opening[:700].rstrip() + "…"
    return f"{subject}: {opening}" if opening else subject


# "return sysctl_x ? -EPERM : 0" split after the "?": code, not a question
_TERNARY_END = re.compile(r"(\breturn|[=:])\s+[A-Za-z_][\w.>-]*(\([^)]*\))?\s+\?$")

_TERNARY_REST = re.compile(r"^\s*[-\w()>.]+\s*:\s*[-\w()>.]+\s*;?")


def _claim_type(sent, cues: dict) -> str:
    text = sent.text.strip()
    if (text.endswith("?") or re.search(r"\?\s*(\)|\"|')?\s*$", text)) and not _TERNARY_END.search(text):
        return "question"
    kinds = cues["claim_types"]
    may = group(*kinds.values()).candidates(text, lowered(text))
    for rx in kinds.get("question", ()):
        if rx in may and rx.search(text):
            return "question"
    for rx in kinds["proposal"]:
        if rx in may and rx.search(text):
            return "proposal"
    root = sent.root
    if root.tag_ == "VB" and not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in root.children) \
            and sent[0].i == root.i and root.lower_ not in ("see", "note", "thanks", "please"):
        return "proposal"  # imperative: "Add new LSM hooks ..."
    for rx in kinds["normative"]:
        if rx in may and rx.search(text):
            return "normative"
    return "factual"


_VERDICT_TRAILER = re.compile(r"^\s*(acked|reviewed|tested|nacked|naked)-by\s*:", re.I)
_TRAILER_TEXT = re.compile(r"^\s*[A-Z][A-Za-z-]+-by\s*:|^\s*(Fixes|Link|Cc|Closes)\s*:", re.I)


def _is_claim(sent) -> bool:
    text = sent.text.strip()
    if _TRAILER_TEXT.match(text):
        return False
    words = [t for t in sent if t.is_alpha]
    if len(words) < 3:
        return False
    if _GREETING.match(text):
        return False
    if re.match(r"^\s*(\[\d+\]\s*)?https?://\S+\s*$", text):
        return False
    if not any(t.pos_ in ("VERB", "AUX") for t in sent) and not text.endswith("?"):
        return False
    return True


def _proposal_message(root: Message, ordered: list[Message]) -> Message:
    """The message that states the proposal: the root; when the archive lacks the real
    root (the root we have is itself a reply), the thread's earliest patch mail, if any."""
    if is_reply(root.subject) and (root.in_reply_to or root.references):
        patches = [m for m in ordered if is_series_message(m.subject)]
        if patches:
            return min(patches, key=_date)
    return root


def analyze(messages: Iterable[Message], *, overrides=None, stance=None) -> ThreadAnalysis:
    """The whole analysis of one thread (pass the messages of one thread).

    stance: None for the trained model in data/stance/model.json (the rules when there is
    none), "rules" for the cue rules alone, or a StanceModel."""
    return analyze_with_contexts(messages, overrides=overrides, stance=stance)[0]


def analyze_with_contexts(messages: Iterable[Message], *, overrides=None, stance=None):
    """analyze(), and each message's MessageContext (what the stance model reads): the
    training and cross-validation entry point."""
    from analysis import stance as stance_mod
    from analysis.cues import is_neutral_statement, sentence_cues
    from analysis.lexicon import get_lexicon
    from analysis.nlp import get_nlp

    msgs = list({m.message_id: m for m in messages}.values())
    if not msgs:
        raise AnalysisError("no messages to analyze")
    tree = build_tree(msgs)
    by_id = {m.message_id: m for m in msgs}
    ordered = [by_id[mid] for mid in tree.order]
    people, author_of = merge_identities(ordered, overrides)
    index = PersonIndex(people)
    root = by_id[tree.root_id]
    proposal_msg = _proposal_message(root, ordered)
    proposer = author_of[proposal_msg.message_id]

    # -- segmentation (ancestors first, so quotes resolve to where they first appeared)
    by_date = sorted(ordered, key=_date)
    rank = {m.message_id: i for i, m in enumerate(by_date)}
    segs_of: dict[str, tuple[Segment, ...]] = {}
    own_texts = {m.message_id: own_text(m) for m in ordered}
    for m, ancestors in _ancestors_in_order(tree, by_id):
        earlier = by_date[max(0, rank[m.message_id] - 60): rank[m.message_id]]
        segs_of[m.message_id] = segment_message(m, ancestors, resolve_person=index.resolve,
                                                author_of=author_of, earlier=earlier, own_texts=own_texts)
    all_segments = tuple(s for m in ordered for s in segs_of[m.message_id])
    proposer = _answered_proposer(proposal_msg, segs_of[proposal_msg.message_id], index, proposer)

    # -- reply blocks
    blocks_of: dict[str, list[_Block]] = {}
    trailers_of: dict[str, list[str]] = defaultdict(list)
    for m in ordered:
        blocks: list[_Block] = []
        last_quote: Segment | None = None
        had_quote = any(s.kind == "quote" for s in segs_of[m.message_id])
        cur: _Block | None = None
        seen_quote = False
        for s in segs_of[m.message_id]:
            if s.kind == "quote":
                seen_quote = True
                if not _sig_only(s.text):
                    last_quote = s
                cur = None
            elif s.kind == "new":
                if cur is None:
                    target = None
                    if last_quote is not None:
                        target = ReplyTarget(last_quote.quoted_message_id, last_quote.quoted_person, last_quote.text)
                    elif (not had_quote or (not blocks and not seen_quote)) \
                            and tree.parent_of.get(m.message_id):
                        # no quote at all, or the opening lines above the first quote
                        # ("Very exciting to see! Thank you for sending this!"): the
                        # message replied to, as a whole
                        pid = tree.parent_of[m.message_id]
                        target = ReplyTarget(pid, author_of.get(pid), "")
                    cur = _Block(m.message_id, [], target,
                                 target_is_code=bool(last_quote is not None and looks_like_code(last_quote.text)))
                    blocks.append(cur)
                    last_quote = None
                cur.segments.append(s)
            elif s.kind == "trailer":
                lines = [line.strip() for line in s.text.splitlines() if line.strip()]
                trailers_of[m.message_id].extend(lines)
                # a reviewer's own Acked-by/Reviewed-by/Nacked-by answers what it follows
                if tree.parent_of.get(m.message_id) and any(
                        _VERDICT_TRAILER.match(x) and _trailer_is_writers(x, m) for x in lines):
                    if cur is None:
                        target = None
                        if last_quote is not None:
                            target = ReplyTarget(last_quote.quoted_message_id, last_quote.quoted_person, last_quote.text)
                        else:
                            pid = tree.parent_of[m.message_id]
                            target = ReplyTarget(pid, author_of.get(pid), "")
                        cur = _Block(m.message_id, [], target)
                        blocks.append(cur)
                    cur.segments.append(s)
        blocks_of[m.message_id] = blocks

    # -- sentences, batched through spaCy
    nlp = get_nlp()
    jobs: list[tuple[str, _Block]] = []
    light: list[tuple[str, _Block]] = []  # read without the parse (past FULL_READ_CHARS of a message)
    read_in_part: dict[str, dict[str, int]] = {}
    limit = min(PIECE_CHARS, nlp.max_length)
    for m in ordered:
        parsed = total = 0
        for b in blocks_of[m.message_id]:
            for p in _paragraphs(b.text):
                for piece in _pieces(p, limit):
                    total += len(piece)
                    if parsed < FULL_READ_CHARS:
                        parsed += len(piece)
                        jobs.append((piece, b))
                    else:
                        light.append((piece, b))
        if parsed < total:
            read_in_part[m.message_id] = {"chars": total, "parsed": parsed}
    for doc, b in _parse(nlp, jobs):
        b.sentences.extend(_sentences(doc))
    for piece, b in light:
        b.light_sentences.extend(_light_sentences(nlp, piece))

    lex = get_lexicon()
    cues = get_cues()

    claims: list[Claim] = []
    pairs: list[ReplyPair] = []
    for m in ordered:
        n = 0
        for b in blocks_of[m.message_id]:
            weak_sents = 0
            for i, sent in enumerate(b.sentences):
                hs = sentence_cues(sent)
                if hs and i + 1 < len(b.sentences) and _after_hedge(b.sentences[i + 1].text, cues):
                    hs = []  # "I wouldn't call that X. (I might be wrong)": the writer hedges it
                weak_sents += bool(hs) and all(h.kind == "weak" for h in hs)
                for hit in hs:
                    b.hits.append((hit, sent.text.strip()))
            for sent, after in b.light_sentences:
                # past the parsed part of a huge message: the writer's stance cues only ("NAK",
                # "I object", "Acked-by"), which need no parse to be read
                hs = sentence_cues(sent, ("stance",))
                if hs and after and _after_hedge(after, cues):
                    hs = []
                for hit in hs:
                    b.hits.append((hit, sent.text.strip()))
            # weak cues (bare negation, "but", "instead") are everywhere in long expository
            # text; they count only where they are dense, and at most as much as one strong cue
            if b.sentences and weak_sents / len(b.sentences) < WEAK_DENSITY:
                b.hits = [(h, t) for h, t in b.hits if h.kind != "weak"]
            for side in ("attack", "support"):
                strong_mass = sum(h.weight for h, _ in b.hits if h.side == side and h.kind != "weak")
                weak_mass = min(WEAK_CAP, sum(h.weight for h, _ in b.hits if h.side == side and h.kind == "weak"))
                setattr(b, side, strong_mass + weak_mass)
            rel = _relation(b.attack, b.support) if b.target is not None else None
            if b.target is not None:
                pairs.append(ReplyPair(m.message_id, author_of[m.message_id], b.text, b.target, rel))
            hits_of: dict[str, list] = defaultdict(list)
            for h, t in b.hits:
                if h.weight >= 1.0:
                    hits_of[t].append(h)
            for sent in b.sentences:
                if not _is_claim(sent):
                    continue
                text = sent.text.strip()
                own = hits_of.get(text, [])
                srel = rel
                if own and b.target is not None:
                    a = sum(h.weight for h in own if h.side == "attack")
                    s_ = sum(h.weight for h in own if h.side == "support")
                    srel = "attack" if a > s_ else "support" if s_ > a else rel
                cites = _specific_from_quote(lex.find(text, sent), text, b.target)
                claims.append(Claim(f"{m.message_id}#{n}", m.message_id, author_of[m.message_id], text,
                                    _claim_type(sent, cues), cites, b.target, srel))
                n += 1

    # -- a symbol written as foo() anywhere in the thread is a function: its bare
    #    mentions ("in map_create we ...") cite foo() too
    funcs = {c[:-2] for cl in claims for c in cl.cites if c.endswith("()") and "_" in c}
    if funcs:
        bare = re.compile(r"(?<![\w.>-])(" + "|".join(sorted(map(re.escape, funcs), key=len, reverse=True)) + r")\b(?!\()")
        fixed_claims = []
        for c in claims:
            extra = [lex.canonical(x + "()") for x in bare.findall(c.text)]
            extra = [x for x in extra if x not in c.cites and x.rstrip("()") not in c.cites]
            fixed_claims.append(replace(c, cites=c.cites + tuple(dict.fromkeys(extra))) if extra else c)
        claims = fixed_claims

    # -- review context: replies under one patch of a multi-patch series (not the cover letter)
    series = {m.message_id for m in ordered if _is_series_message(m, root, proposer, author_of)}
    review_ctx: set[str] = set()
    if len(series) >= 2:
        # below a series message other than the root (tree order puts parents first)
        for m in ordered:
            p = tree.parent_of.get(m.message_id)
            if p is not None and ((p in series and p != root.message_id) or p in review_ctx):
                review_ctx.add(m.message_id)

    # patches whose subject restates the proposal's (the series' own point, not a preparatory step)
    core = {mid for mid in series if _restates(by_id[mid].subject, proposal_msg.subject)}

    # -- stance, in date order so each reply knows where its target stands
    stance_of: dict[str, MessageStance] = {}
    person_score: dict[str, float] = defaultdict(float)
    person_score[proposer] = 10.0
    # where a person stands, as far as others' replies may lean on it: only messages that
    # answer the proposer or state a stance themselves count, so a side read by proxy
    # (disagreeing with someone who disagreed with someone) does not cascade
    proxy_score: dict[str, float] = defaultdict(float)
    proxy_score[proposer] = 10.0
    proxy_mass: dict[str, float] = defaultdict(float)  # decided weight, whichever side
    automated = {author_of[m.message_id] for m in ordered if is_automated_sender(m.from_name, m.from_address, cues)}
    claims_of: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        claims_of[c.message_id].append(c)
    for m in by_date:
        mid = m.message_id
        pid = author_of[mid]
        if pid in automated:
            # a robot's report or merge notice is no opinion on the proposal
            stance_of[mid] = MessageStance(mid, pid, "neutral", 0.9, ())
            continue
        if pid == proposer:
            st = _proposer_stance(m, blocks_of[mid], claims_of.get(mid, ()), root, proposer, author_of)
        else:
            st = _reply_stance(m, blocks_of[mid], trailers_of[mid], proxy_score, author_of, proposer,
                               mid in review_ctx, is_neutral_statement, series, proxy_mass, core)
        stance_of[mid] = st
        if pid != proposer:
            delta = {"support": 1.0, "oppose": -1.0}.get(st.stance, 0.0)
            person_score[pid] += delta
            anchored = _anchored(m, blocks_of[mid], trailers_of[mid], proposer, author_of)
            proxy_score[pid] += delta * (1.0 if anchored else UNANCHORED_WEIGHT)
            proxy_mass[pid] += {"support": 1.0, "oppose": 1.0}.get(st.stance, 0.0) * (
                1.0 if anchored else UNANCHORED_WEIGHT)
    if INFER_RELATIONS:
        claims, pairs = _infer_relations(claims, pairs, stance_of, person_score, author_of, proposer, review_ctx)
    rule_positions = _positions(people, ordered, author_of, stance_of, proposer, claims, automated)
    rule_person = {p.person_id: p.stance for p in rule_positions}
    contexts = {m.message_id: _context(m, blocks_of[m.message_id], trailers_of[m.message_id], stance_of[m.message_id],
                                       author_of, proposer, automated, series, review_ctx, proposal_msg, cues,
                                       rule_person.get(author_of[m.message_id], "neutral"))
                for m in ordered}
    model = stance_mod.load_model() if stance is None else None if stance == "rules" else stance
    if model is None:
        positions = rule_positions
    else:
        probs_of = {}
        for m in ordered:
            c = contexts[m.message_id]
            label, conf, probs_of[m.message_id] = stance_mod.message_stance(model, c)
            stance_of[m.message_id] = _learned_evidence(model, stance_of[m.message_id], label, conf, c)
        positions = _learned_positions(model, people, ordered, author_of, stance_of, probs_of, proposer,
                                       automated, claims, rule_person)
    message_stances = tuple(stance_of[m.message_id] for m in ordered)

    return ThreadAnalysis(
        tree=tree, subject=root.subject, proposal=proposal_text(proposal_msg, segs_of[proposal_msg.message_id]),
        messages=tuple(ordered), people=people, author_of=author_of, segments=all_segments,
        reply_pairs=tuple(pairs), claims=tuple(claims), message_stances=message_stances,
        positions=positions, extra={"proposer": proposer, "automated": sorted(automated),
                                    "stance_reader": "rules" if model is None else "model",
                                    "unclear": sorted(p.person_id for p in positions if p.stance == "unclear"),
                                    **({"read_in_part": read_in_part} if read_in_part else {})},
    ), contexts


def _answered_proposer(proposal_msg: Message, segments, index, proposer: str) -> str:
    """When the proposal message we have is itself a reply to a series or pull request
    ('Re: [PATCH ...]', 'Re: [GIT PULL] ...';
    the series never reached this archive), the proposer is whoever wrote what it answers: the person its
    first attribution line names ('On ..., X wrote:'), even one who is not in the thread
    (then nobody here is the proposer). Without an attribution, the writer stays."""
    from analysis.segment import parse_attribution

    subject = proposal_msg.subject or ""
    if not (is_reply(subject) and (proposal_msg.in_reply_to or proposal_msg.references)):
        return proposer
    if not (has_patch_tag(subject) or re.match(r"\s*\[GIT PULL\]", without_reply_prefix(subject), re.I)):
        return proposer  # a reply in a discussion (no series answered): its writer proposes
    for s in segments:
        if s.kind == "attribution":
            attr = parse_attribution(" ".join(s.text.split()))
            if attr is None:
                continue
            pid = index.resolve(*attr)
            if pid is not None:
                return pid
            name, addr = attr
            return f"absent:{(addr or name or '?').lower()}"
        if s.kind == "quote":
            break
    return proposer


def _answered(target, author_of, proposer, writer) -> str:
    """Whom a reply block answers, as the stance model reads it: the proposer, someone
    else, the writer themself, or nobody (no quote, no parent)."""
    if target is None:
        return "none"
    who = target.author or author_of.get(target.message_id or "")
    return "none" if who is None else "proposer" if who == proposer else "self" if who == writer else "other"


_CONDITIONAL = re.compile(r"^\W*(if|unless|when|assuming|provided)\b", re.I)


def _context(m, blocks, trailers, rule, author_of, proposer, automated, series, review_ctx, proposal_msg, cues,
             rule_person="neutral"):
    """What the stance model reads of one message (analysis.stance.MessageContext)."""
    from analysis.stance import MessageContext

    pid = author_of[m.message_id]
    sents = tuple(s.text.strip() for b in blocks for s in b.sentences)
    tr = cues["trailers"]
    own = [t for t in trailers if _trailer_is_writers(t, m)]
    key = [t.split(":", 1)[0].strip().lower() for t in own]
    targets = [b.target for b in blocks if b.target is not None]
    subj = m.subject or ""
    return MessageContext(
        text="\n".join(b.text for b in blocks), sentences=sents, rule_stance=rule.stance,
        rule_confidence=rule.confidence,
        hits=tuple((h.side, h.kind, h.weight, h.negated) for b in blocks for h, _ in b.hits),
        hit_targets=tuple(_answered(b.target, author_of, proposer, pid) for b in blocks for _ in b.hits),
        own_support_trailers=sum(k in tr.get("support", []) for k in key),
        own_attack_trailers=sum(k in tr.get("attack", []) for k in key),
        is_proposer=pid == proposer, is_automated=pid in automated,
        is_root=m.message_id == proposal_msg.message_id,
        answers_proposer=any((t.author or author_of.get(t.message_id or "")) == proposer for t in targets),
        answers_series=any(t.message_id in series for t in targets),
        answers_code=any(b.target_is_code for b in blocks), in_review=m.message_id in review_ctx,
        quotes=sum(1 for t in targets if t.quote), subject_patch=is_series_message(subj),
        subject_pull=bool(re.search(r"\bgit pull\b", subj, re.I)),
        hedged=sum(1 for s in sents if any_match(cues["hedge"], s)),
        conditional=sum(1 for s in sents if _CONDITIONAL.search(s)), rule_person_stance=rule_person,
    )


def _learned_evidence(model, rule: MessageStance, label: str, conf: float, c) -> MessageStance:
    """The model's reading of a message, with the sentences that carry it: the rules' cue
    sentences when both readers agree, else the sentences whose words moved the model."""
    from analysis.stance import quotable, rank_evidence

    if label == "neutral" and rule.stance != "neutral":
        ev: tuple = ()
    elif label == rule.stance and rule.evidence:
        ev = tuple(e for e in rule.evidence if quotable(e.quote))
    else:
        ev = ()
    if not ev and label != "neutral":
        ev = tuple(Evidence(rule.message_id, t) for t in rank_evidence(model, c.sentences, label))
    elif ev and label != "neutral" and all(_VERDICT_TRAILER.match(e.quote.strip()) for e in ev):
        # a trailer says the side; the writer's own words say why, and those are what a
        # journalist quotes ("This looks much better!" above "Acked-by: ...")
        words = [t for t in rank_evidence(model, c.sentences, label, k=1) if not _VERDICT_TRAILER.match(t.strip())]
        ev = tuple(Evidence(rule.message_id, t) for t in words) + ev
    return MessageStance(rule.message_id, rule.author, label, conf, ev)


def _position(p, messages: int, stance: str, conf: float, ev: list, sts, first_claim: dict) -> Position:
    """A person's Position with at most three pieces of evidence: ev, else the first evidence of
    each of their messages (sts), else what they said first (nothing took a side: so a reader can
    check); the same words sent twice (a resend, a reply to two branches) are one piece."""
    if not ev:
        for s in sts:
            ev.extend(s.evidence[:1])
    if not ev and first_claim.get(p.person_id):
        c = first_claim[p.person_id]
        ev.append(Evidence(c.message_id, c.text))
    seen: set = set()
    ev = [e for e in ev if not (e.quote in seen or seen.add(e.quote))]
    # the person's own words before the trailers that only name a side
    ev.sort(key=lambda e: bool(_VERDICT_TRAILER.match(e.quote.strip())))
    return Position(p.person_id, p.name, p.addresses, messages, stance, conf, tuple(ev[:3]))


def _learned_positions(model, people, ordered, author_of, stance_of, probs_of, proposer, automated, claims,
                       rule_person):
    from analysis.stance import person_stance, quotable

    first_claim = {}
    for c in claims:
        if quotable(c.text):
            first_claim.setdefault(c.author, c)
    out = []
    mids_of = _mids_by_author(ordered, author_of)
    for p in people:
        mids = mids_of.get(p.person_id, [])
        stance, conf = person_stance(model, [probs_of[mid] for mid in mids], rule_person.get(p.person_id, "neutral"),
                                     is_proposer=p.person_id == proposer, is_automated=p.person_id in automated)
        if stance != "neutral" and conf < model.unclear and p.person_id != proposer:
            stance = "unclear"
        sts = [stance_of[mid] for mid in mids]
        ev = []
        # the messages that read most clearly as the person's side first
        side = stance if stance in ("support", "oppose") else None
        ranked = sorted(mids, key=lambda mid: -(probs_of[mid].get(side, 0.0) if side
                                                 else 1.0 - probs_of[mid].get("neutral", 0.0)))
        for mid in ranked:
            s = stance_of[mid]
            if s.stance != "neutral" and (side is None or s.stance == side):
                ev.extend(s.evidence[:1])
        out.append(_position(p, len(mids), stance, conf, ev, sts, first_claim))
    return tuple(out)


_GENERIC_CHECK = "capable()"
_LITERAL_CAPABLE = re.compile(r"(?<![\w.>])capable\s*\(")
_SPECIFIC_CAPABLE = re.compile(r"\b([a-z][a-z0-9]*_capable(?:_noaudit)?)\s*\(")


def _specific_from_quote(cites: tuple[str, ...], text: str, target: ReplyTarget | None) -> tuple[str, ...]:
    """A sentence that speaks of "the capability check" in answer to quoted code doing one
    specific kind of capability check (bpf_capable(), ns_capable(), perfmon_capable()) cites
    that check, not the generic capable(): "capability checks should be last" under
    `if (!bpf_capable()) ...`. Only when the quote names exactly one such function and the
    sentence does not write capable( itself."""
    if _GENERIC_CHECK not in cites or target is None or not target.quote or _LITERAL_CAPABLE.search(text):
        return cites
    found = set(_SPECIFIC_CAPABLE.findall(target.quote))
    if len(found) != 1 or _LITERAL_CAPABLE.search(target.quote):
        return cites
    from analysis.lexicon import get_lexicon

    specific = get_lexicon().canonical(found.pop() + "()")
    out = [specific if c == _GENERIC_CHECK else c for c in cites]
    return tuple(dict.fromkeys(out))


@functools.lru_cache(maxsize=1)
def _sentence_class():
    """spaCy's Span with its text made once: the analysis reads each sentence's text about
    eight times (cues, claim tests, stance context), and Span.text makes a Token object per
    token each time. The same text, a Span in every other respect."""
    from spacy.tokens import Span

    class Sentence(Span):
        @property
        def text(self):
            t = self.__dict__.get("_text")
            if t is None:
                t = self.__dict__["_text"] = Span.text.__get__(self)
            return t

    return Sentence


def _sentences(doc) -> list:
    """The doc's sentences as the analysis reads them (_merge_code), as Sentence spans."""
    cls = _sentence_class()
    merged = _merge_code([cls(doc, s.start, s.end) for s in doc.sents])
    return [s if type(s) is cls else cls(s.doc, s.start, s.end) for s in merged]


def _merge_code(sents: list) -> list:
    """A sentence ending in ':' absorbs the code/example lines that follow it
    ("we have things like: if (!x && !capable(...)) return -EPERM;"); code split at a
    ternary's '?' ("return x ?" + "-EPERM : 0;") is joined again."""
    out: list = []
    for s in sents:
        if out and out[-1].end == s.start and (
                (out[-1].text.rstrip().endswith(":") and not _is_claim(s))
                or (_TERNARY_END.search(out[-1].text.rstrip()) and _TERNARY_REST.match(s.text))):
            prev = out.pop()
            out.append(prev.doc[prev.start:s.end])
        else:
            out.append(s)
    return out


INFER_RELATIONS = True  # dev set: claim relation accuracy 0.59 (cues only) -> 0.71
_SIDE = {"support": 1, "oppose": -1}


def _infer_relations(claims, pairs, stance_of, person_score, author_of, proposer, review_ctx):
    """A reply block without decisive cues still answers someone: when the writer's message
    takes a side and the answered person is on the other side, it attacks; on the same
    side, it supports. Code review and neutral messages stay without a relation."""
    from dataclasses import replace

    def side_of(person):
        if person == proposer:
            return 1
        return _sign(person_score.get(person, 0.0))

    def infer(mid, target, rel):
        if rel is not None or target is None or mid in review_ctx:
            return rel
        mine = _SIDE.get(stance_of[mid].stance, 0)
        theirs = side_of(target.author or author_of.get(target.message_id or "", ""))
        if not mine or not theirs or target.author == author_of.get(mid):
            return rel
        return "attack" if mine != theirs else "support"

    new_pairs = tuple(replace(p, relation=infer(p.message_id, p.target, p.relation)) for p in pairs)
    new_claims = [replace(c, relation=infer(c.message_id, c.responds_to, c.relation)) for c in claims]
    return new_claims, new_pairs


def _after_hedge(text: str, cues: dict) -> bool:
    """A short or parenthetical self-hedge right after a sentence ("(I might be wrong)",
    "But I may be missing something.") withdraws that sentence's claim to a side."""
    t = text.strip()
    low = lowered(t)
    if not any(search(rx, t, low) for rx in cues["hedge"]):
        return False
    return t.startswith("(") or len(re.findall(r"[A-Za-z']+", t)) <= 8


def _sig_only(text: str) -> bool:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return bool(lines) and lines[0].strip() in ("--", "-- ") and len(lines) <= 6


def _relation(attack: float, support: float) -> str | None:
    if attack >= T_DECIDE and attack > support:
        return "attack"
    if support >= T_DECIDE and support > attack:
        return "support"
    return None


def _sign(x: float) -> int:
    return 1 if x > 0.25 else -1 if x < -0.25 else 0


# 2022 lsm corpus: a maintainer's design remarks to a co-author of the proposal read as
# opposition, and everyone answering the maintainer then got the opposite side by proxy.
# A message anchored in the proposal (a stance cue, a review trailer, a decided answer to
# the proposer) moves where its writer stands for others' replies fully; one whose side
# was read only by proxy counts this much. Dev set: 0 -> 0.5 keeps per-message accuracy.
UNANCHORED_WEIGHT = 0.5


def _anchored(m, blocks, trailers, proposer, author_of) -> bool:
    """Does the message take its side from the proposal itself rather than by proxy?"""
    if any(h.kind == "stance" for b in blocks for h, _ in b.hits):
        return True
    if any(_VERDICT_TRAILER.match(t) for t in trailers):
        return True
    for b in blocks:
        if b.target is None:
            continue
        who = b.target.author or author_of.get(b.target.message_id or "")
        if who == proposer and (b.attack or b.support):
            return True
    return False


CHANGE_REQUESTS = 4  # judgements/requests addressed to the proposer that make an otherwise neutral reviewer mixed
# Under one patch of a series, replies are code review and their cues count little; but a
# reply to the patch's own description (the proposer's prose saying what the patch is for,
# not its code) answers the proposal itself ("Doesn't make sense", "is *not* sufficient to
# make it safe"): its cues count fully (_answers_rationale).


_SUBJ_STOP = {"the", "and", "for", "with", "from", "into", "add", "adds", "new", "use", "support", "introduce"}


def _subject_words(subject: str) -> set[str]:
    text = without_prefixes_and_tags(subject).lower()
    return {w for w in re.findall(r"[a-z0-9_./-]+", text.split(":", 1)[-1] if ":" in text else text)
            if len(w) >= 3 and w not in _SUBJ_STOP}


def _restates(patch_subject: str, proposal_subject: str) -> bool:
    """Does a patch's subject restate the proposal's ('bpf: Add a bpf_getxattr kfunc' under
    'Add bpf_getxattr'), rather than name a preparatory step ('bpf: inline map creation logic')?"""
    want = _subject_words(proposal_subject)
    return bool(want) and len(_subject_words(patch_subject) & want) >= 0.5 * len(want)


def _answers_rationale(b, core, proposer) -> bool:
    t = b.target
    return bool(t is not None and t.quote.strip() and t.message_id in core and not b.target_is_code
                and (t.author is None or t.author == proposer) and not looks_like_code(t.quote))


REVIEW_WEIGHT = 0.4  # cues about quoted code / one patch's details, unless they are stance cues


def _reply_stance(m, blocks, trailers, person_score, author_of, proposer, in_review, is_neutral, series=frozenset(),
                  person_mass=None, core=frozenset()):
    pos = neg = 0.0
    ev_pos: list[tuple[float, str]] = []
    ev_neg: list[tuple[float, str]] = []
    strong = False
    decisive = False  # a cue outside code review, or a stance cue: review alone takes no side
    neutral_said = False
    for b in blocks:
        if any(is_neutral(s.text) for s in b.sentences):
            neutral_said = True
        # stance cues ("NAK", "I object", "Acked-by") are about the proposal itself,
        # whoever the quoted text belongs to
        for hit, text in b.hits:
            if hit.kind == "stance":
                strong = decisive = True
                if hit.side == "support":
                    pos += hit.weight
                    ev_pos.append((hit.weight, text))
                else:
                    neg += hit.weight
                    ev_neg.append((hit.weight, text))
        if b.target is None:
            continue
        t_person = b.target.author
        if t_person is None and b.target.message_id:
            t_person = author_of.get(b.target.message_id)
        if t_person is None or t_person == author_of[m.message_id]:
            continue
        score = person_score.get(t_person, 0.0)
        s_t = _sign(score)
        if s_t == 0:
            continue
        # how sure we are where the answered person stands: the proposer fully; others
        # grow surer with each message that took the same side
        s_t *= 1.0 if t_person == proposer else min(1.0, 0.5 + 0.25 * abs(score))
        if t_person != proposer and person_mass and person_mass.get(t_person):
            # someone who took both sides (a maintainer arguing design details with the
            # proposer and then defending the series against a third person) is no clear
            # side to read a reply against: scale by how one-sided they have been
            s_t *= min(1.0, abs(score) / person_mass[t_person])
        review = (in_review and not _answers_rationale(b, core, proposer)) \
            or b.target_is_code
        weak_total = sum(h.weight for h, _ in b.hits if h.kind == "weak")
        weak_scale = min(1.0, WEAK_CAP / weak_total) if weak_total else 1.0
        for hit, text in b.hits:
            if hit.kind == "stance":
                continue
            w = hit.weight * (weak_scale if hit.kind == "weak" else 1.0)
            if review and hit.kind != "stance":
                w *= REVIEW_WEIGHT
            if w >= 0.7:
                strong = True
            if not review or hit.kind == "stance":
                decisive = True
            w *= abs(s_t)
            agrees = (hit.side == "support") == (s_t > 0)
            if agrees:
                pos += w
                ev_pos.append((w, text))
            else:
                neg += w
                ev_neg.append((w, text))
    tr = get_cues()["trailers"]
    for t in trailers:
        key = t.split(":", 1)[0].strip().lower()
        if key in [x.lower() for x in tr.get("support", [])] and _trailer_is_writers(t, m):
            pos += 2.0
            strong = decisive = True
            ev_pos.append((1.0, t))
        elif key in [x.lower() for x in tr.get("attack", [])] and _trailer_is_writers(t, m):
            neg += 2.0
            strong = decisive = True
            ev_neg.append((1.0, t))
    if (neutral_said and not strong) or not decisive:
        pos = neg = 0.0
    if not strong and (pos or neg):
        # Weak cues alone (bare negation, "instead", "but") are everywhere in technical
        # explanation. They may open a position only in an answer to the proposal itself
        # (its cover letter or patches); elsewhere they can only confirm the side the
        # writer already took.
        answers_proposal = any(b.target is not None and b.target.message_id in series for b in blocks)
        prior = _sign(person_score.get(author_of[m.message_id], 0.0))
        direction = 1 if pos > neg else -1
        if not answers_proposal and prior != direction:
            pos = neg = 0.0
    big, small = max(pos, neg), min(pos, neg)
    if big < T_DECIDE:
        said = [s.text.strip() for b in blocks for s in b.sentences if is_neutral(s.text)]
        stance, conf, ev = "neutral", 0.6 if big == 0 else 0.5, [(1.0, t) for t in said[:1]]
    elif small >= T_DECIDE and small >= 0.5 * big:
        stance, conf = "mixed", 0.5 + 0.3 * (small / big)
        ev = sorted(ev_pos, key=_ev_rank)[:2] + sorted(ev_neg, key=_ev_rank)[:2]
    else:
        stance = "support" if pos > neg else "oppose"
        conf = min(0.95, 0.5 + 0.45 * (big - small) / (big + small) * min(1.0, big / 2))
        ev = sorted(ev_pos if pos > neg else ev_neg, key=_ev_rank)[:3]
    from analysis.stance import quotable

    evidence = tuple(dict.fromkeys(Evidence(m.message_id, t) for _, t in ev if quotable(t)))
    return MessageStance(m.message_id, author_of[m.message_id], stance, round(conf, 2), evidence)


def _ev_rank(x: tuple[float, str]) -> float:
    """Stronger cues first; among equals, the fuller sentence (a reader wants "No. That's not
    how capabilities work", not just "No.")."""
    return -(x[0] + 0.02 * min(len(x[1].split()), 30))


def _trailer_is_writers(trailer: str, m: Message) -> bool:
    """'Acked-by: X <addr>' given by the writer (not quoted from someone else)."""
    from analysis.identity import normalize_name

    value = trailer.split(":", 1)[1] if ":" in trailer else ""
    if m.from_address and m.from_address.lower() in value.lower():
        return True
    name = normalize_name(m.from_name)
    given = normalize_name(re.sub(r"<[^>]*>|\S+@\S+", " ", value))
    return bool(name) and bool(given) and (name == given or name.split()[-1] in given.split())


_CHANGELOG = re.compile(r"^\s*(changes (since|from|in)|v\d+\s*[:\-]|changelog|link:|\[?v\d+\]?)", re.I)


def _proposer_stance(m, blocks, claims, root, proposer, author_of):
    """The proposal's author supports their own series; evidence: their sentences that
    state or defend it (proposals, support cues, cited concepts), not changelogs."""
    own = [c for c in claims if c.message_id == m.message_id and not _CHANGELOG.match(c.text)]
    cue_texts = {t for b in blocks for h, t in b.hits if h.side == "support" and h.kind != "weak"}

    def score(c):
        return (2.0 * (c.type == "proposal") + 1.0 * (c.type == "normative") + 0.5 * min(len(c.cites), 3)
                + 1.5 * (c.text in cue_texts) - 1.0 * (c.type == "question") - 0.01 * len(c.text) / 40)

    ranked = sorted(own, key=lambda c: -score(c))
    evidence = tuple(Evidence(m.message_id, c.text) for c in ranked[:2])
    series = m.message_id == root.message_id or is_series_message(m.subject)
    return MessageStance(m.message_id, proposer, "support", 0.9 if series else 0.75, evidence)


def _shifted(decided: list, majority: str) -> bool:
    """The person's last decided message leaves the side they mostly took: their
    position moved during the thread (reported as mixed)."""
    return len(decided) >= 2 and decided[-1].stance != majority


def _mids_by_author(messages, author_of) -> dict[str, list[str]]:
    """person_id -> the Message-IDs they wrote, in the order given (one pass, not one per person)."""
    out: dict[str, list[str]] = defaultdict(list)
    for m in messages:
        out[author_of[m.message_id]].append(m.message_id)
    return out


def _positions(people, ordered, author_of, stance_of, proposer, claims=(), automated=frozenset()) -> tuple[Position, ...]:
    out = []
    first_claim = {}
    claims_by: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        first_claim.setdefault(c.author, c)
        claims_by[c.author].append(c)
    mids_of = _mids_by_author(ordered, author_of)
    by_date_of = _mids_by_author(sorted(ordered, key=_date), author_of)
    for p in people:
        mids = mids_of.get(p.person_id, [])
        sts = [stance_of[mid] for mid in mids]
        sts_by_date = [stance_of[mid] for mid in by_date_of.get(p.person_id, [])]
        if p.person_id in automated:
            stance, conf = "neutral", 0.9
        elif p.person_id == proposer:
            stance, conf = "support", 0.9
        else:
            sup = sum(1 for s in sts if s.stance == "support") + 0.5 * sum(1 for s in sts if s.stance == "mixed")
            opp = sum(1 for s in sts if s.stance == "oppose") + 0.5 * sum(1 for s in sts if s.stance == "mixed")
            decided = [s for s in sts_by_date if s.stance != "neutral"]
            if sup == 0 and opp == 0:
                stance, conf = "neutral", 0.6
            elif (min(sup, opp) > 0 and min(sup, opp) >= 0.34 * max(sup, opp)) or \
                    _shifted(decided, "support" if sup > opp else "oppose"):
                stance, conf = "mixed", 0.55
            else:
                stance = "support" if sup > opp else "oppose"
                # how sure: the messages' own confidence, the share of decided messages on
                # this side, and how many there are
                same = [s for s in decided if s.stance == stance]
                mean = sum(s.confidence for s in same) / len(same)
                conf = round(min(0.95, mean * (len(same) / len(decided)) * (1 - 0.4 ** len(same)) + 0.1), 2)
        requests = []
        if stance == "neutral" and p.person_id not in automated and p.person_id != proposer:
            requests = [c for c in claims_by.get(p.person_id, ()) if c.type in ("normative", "proposal")
                        and c.responds_to is not None
                        and proposer in (c.responds_to.author, author_of.get(c.responds_to.message_id or ""))]
            if len(requests) >= CHANGE_REQUESTS:
                # a reviewer who takes no side yet tells the proposer, again and again, what
                # should be different ("please make it __u64", "we should do better than
                # this") wants the proposal changed before it goes in
                stance, conf = "mixed", 0.5
            else:
                requests = []
        # the plainest requests first: proposals ('please make it u64'), then 'should/must/need'
        asks = get_cues()["requests"]
        requests.sort(key=lambda c: (c.type != "proposal", not any(rx.search(c.text) for rx in asks)))
        ev = [Evidence(c.message_id, c.text) for c in requests[:3]]
        for s in sts:
            if requests:
                break
            if s.stance == stance or stance == "mixed" and s.stance != "neutral":
                ev.extend(s.evidence[:1])
        out.append(_position(p, len(mids), stance, conf, ev, sts, first_claim))
    return tuple(out)
