"""Typed records the analysis stage produces.

Everything here is a frozen dataclass keyed by stable strings (Message-IDs,
person ids, claim ids) so the store can map them to tables and the report can
render them without knowing how they were computed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mailrecords import Message

STANCES = ("support", "oppose", "mixed", "neutral")
CLAIM_TYPES = ("factual", "normative", "proposal", "question")
RELATIONS = ("attack", "support")
SEGMENT_KINDS = ("new", "quote", "attribution", "signature", "trailer", "diff", "footer")


@dataclass(frozen=True)
class Person:
    """One human, possibly posting from several addresses under several spellings."""

    person_id: str  # stable: the normalized primary address
    name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class ThreadTree:
    """Who replies to whom. Parents come from In-Reply-To/References (JWZ-style)."""

    root_id: str
    parent_of: dict[str, str | None]  # message_id -> parent message_id (None for roots)
    order: tuple[str, ...]  # depth-first, children by date: lore's /T/ order

    def children(self, message_id: str) -> tuple[str, ...]:
        return tuple(m for m in self.order if self.parent_of.get(m) == message_id)

    def depths(self) -> dict[str, int]:
        """message_id -> depth (0 for roots) of every message, in one pass over the order
        (depth() walks up from one message: calling it for each message of a deep chain is
        quadratic)."""
        out: dict[str, int] = {}
        for mid in self.order:
            p = self.parent_of.get(mid)
            out[mid] = 0 if p is None else out[p] + 1 if p in out else self.depth(mid)
        return out

    def depth(self, message_id: str) -> int:
        depth, current = 0, self.parent_of.get(message_id)
        while current is not None:
            depth += 1
            current = self.parent_of.get(current)
        return depth


@dataclass(frozen=True)
class Segment:
    message_id: str
    index: int
    kind: str  # one of SEGMENT_KINDS
    text: str
    depth: int = 0  # quote depth (number of '>')
    quoted_person: str | None = None  # person_id the quoted text is attributed to
    quoted_message_id: str | None = None  # message where the quoted text first appeared


@dataclass(frozen=True)
class ReplyTarget:
    message_id: str | None
    author: str | None  # person_id
    quote: str


@dataclass(frozen=True)
class ReplyPair:
    """A block of new text and the quoted block directly above it: the unit of argument."""

    message_id: str
    author: str  # person_id
    new_text: str
    target: ReplyTarget
    relation: str | None = None  # "attack" | "support" | None


@dataclass(frozen=True)
class Claim:
    claim_id: str  # stable: f"{message_id}#{n}"
    message_id: str
    author: str  # person_id
    text: str  # verbatim from the author's own new text
    type: str  # one of CLAIM_TYPES
    cites: tuple[str, ...]  # concept ids from data/lexicon
    responds_to: ReplyTarget | None = None
    relation: str | None = None


@dataclass(frozen=True)
class Evidence:
    message_id: str
    quote: str  # verbatim from that message's own new text


@dataclass(frozen=True)
class MessageStance:
    message_id: str
    author: str  # person_id
    stance: str  # one of STANCES
    confidence: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Position:
    person_id: str
    name: str
    addresses: tuple[str, ...]
    messages: int
    stance: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class ThreadAnalysis:
    """The whole analysis of one thread."""

    tree: ThreadTree
    subject: str
    proposal: str  # root subject + the cover letter's opening
    messages: tuple[Message, ...]  # in tree order
    people: tuple[Person, ...]
    author_of: dict[str, str]  # message_id -> person_id
    segments: tuple[Segment, ...] = ()
    reply_pairs: tuple[ReplyPair, ...] = ()
    claims: tuple[Claim, ...] = ()
    message_stances: tuple[MessageStance, ...] = ()
    positions: tuple[Position, ...] = ()
    extra: dict = field(default_factory=dict)  # room for later stages' summaries

    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.person_id == person_id:
                return p
        raise KeyError(person_id)

    def message(self, message_id: str) -> Message:
        for m in self.messages:
            if m.message_id == message_id:
                return m
        raise KeyError(message_id)
