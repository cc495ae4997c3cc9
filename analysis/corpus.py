"""The stance annotation corpus (tests/data/annotations, format in its README): threads,
their mail, and what careful readers said of each message and person.

Used by training (analysis.stance_train), the cross-validated benchmark
(bench/bench_stance.py) and the tests; the tool at run time never reads it.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.subjects import without_prefixes_and_tags

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "tests" / "data" / "annotations"
# threads drawn and read after the shipped model was trained: measured, never trained on
FRESH = ROOT / "tests" / "data" / "annotations-fresh"


@dataclass(frozen=True)
class Annotation:
    thread: str  # slug
    annotator: str  # "A", "B", "gold", "holdout-2022"
    mbox: Path
    root: str
    messages: tuple[dict, ...]  # {"message_id", "stance", "ambiguous", "bot"?, "key_quote"}
    people: tuple[dict, ...]  # {"name", "addresses", "stance", "ambiguous", "message_id", "key_quote"}
    path: Path

    def message_labels(self) -> dict[str, str]:
        """Scored message labels: not ambiguous, not a bot."""
        return {m["message_id"]: m["stance"] for m in self.messages
                if not m.get("ambiguous") and not m.get("bot")}


def load(path: Path) -> Annotation:
    a = json.loads(path.read_text())
    mbox = ROOT / a["mbox"] if a.get("mbox") else path.parent / "threads" / f"{a['thread']}.mbox"
    return Annotation(a["thread"], a.get("annotator", "A"), mbox, a["root"], tuple(a.get("messages", ())),
                      tuple(a.get("people", ())), path)


def annotations(reader: str | None = None, base: Path = ANNOTATIONS) -> list[Annotation]:
    """Every annotation file, sorted by thread; reader="first" keeps one per thread (the
    gold or the first reader, A), reader="B" only the second readings."""
    files = sorted(base.glob("*.json")) + sorted((base / "converted").glob("*.json"))
    out = [load(p) for p in files if p.name != "index.json"]
    if reader == "first":
        out = [a for a in out if a.annotator != "B"]
    elif reader is not None:
        out = [a for a in out if a.annotator == reader]
    return sorted(out, key=lambda a: (a.thread, a.annotator))


_VERSION = re.compile(r"\bv\d+\b|\b(rfc|resend)\b", re.I)


def series_key(subject: str | None) -> str:
    """Threads of one series (v1, v2, RESEND...) share a key, so they share a fold."""
    s = without_prefixes_and_tags(subject or "")
    s = _VERSION.sub(" ", s).lower()
    return " ".join(re.findall(r"[a-z0-9_]+", s))


def match_person(gold: dict, positions, author_of: dict) -> object | None:
    """The predicted Position of an annotated person: by address, else by who wrote the
    annotated message, else by name."""
    addrs = {a.lower() for a in gold.get("addresses") or ()}
    for p in positions:
        if addrs & {a.lower() for a in p.addresses}:
            return p
    pid = author_of.get(gold.get("message_id") or "")
    if pid:
        for p in positions:
            if p.person_id == pid:
                return p
    name = " ".join(gold.get("name", "").lower().split())
    for p in positions:
        if " ".join(p.name.lower().split()) == name:
            return p
    return None
