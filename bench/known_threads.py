"""What the repository already holds, for the pickers of fresh threads (bench/draw_fresh.py,
bench/pick_findings_threads.py): a thread drawn as "fresh" must be neither a thread nor a series
some file under tests/ or data/ already holds.

The rule both pickers draw a new set with: a thread is held when any Message-ID it is given appears in any file under
tests/ or data/ (plain or gzipped: mail, annotation indexes, findings labels; any string shaped
like a Message-ID, so one quoted, cited or named in a JSON file counts too), or when its subject's
series key (analysis.corpus.series_key: no prefixes, tags, version or RFC/RESEND) is the key of
a subject there (a mail's Subject: line or a JSON "subject" value). A draw leaves out the folder
it writes to (its own output is not "already there"). tests/test_known_threads.py checks that the
recorded draws come out as committed: the second findings batch under this rule, the first-sight
stance sets 1 and 2 under the narrower rule they were drawn with (known_as_fresh_sets_1_2).
"""
from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]

from analysis.corpus import FRESH, series_key  # noqa: E402

FINDINGS_FRESH = ROOT / "tests" / "data" / "findings-fresh"

# the pickers' recorded inputs (a draw's list of archive threads): no thread the repository holds
DRAW_INPUTS = ROOT / "tests" / "data" / "draws"
# the seeds of the first-sight stance sets bench/draw_fresh.py drew (set 1 is now training data in
# tests/data/annotations, its index entries marked "first_sight_set"; set 2 is tests/data/annotations-fresh)
SET_SEED = {1: 20261203, 2: 20261204}
RULES = ("repository", "fresh-sets-1-2")

_MSGID = re.compile(rb"[\w.+-]{6,}@[\w.-]+\w")
_SUBJECT_LINE = re.compile(rb"^Subject: (.*)$", re.M)
_JSON_SUBJECT = re.compile(rb'"subject": ("(?:[^"\\\n]|\\.)*")')


@dataclass(frozen=True)
class Known:
    message_ids: frozenset[str]
    series: frozenset[str]

    def holds(self, message_ids: Iterable[str], subject: str | None) -> bool:
        """Is a thread with these Message-IDs (all of them, or only its root's) and this root
        subject already in the repository?"""
        return (any(m in self.message_ids for m in message_ids)
                or series_key(subject) in self.series)


def known(exclude: Iterable[Path] = (), bases: Iterable[Path] = (ROOT / "tests", ROOT / "data")) -> Known:
    """Every Message-ID and series key in the files under `bases` but not under `exclude`."""
    exclude = [Path(p).resolve() for p in (*exclude, DRAW_INPUTS)]
    ids: set[str] = set()
    series: set[str] = set()
    for base in bases:
        for p in sorted(Path(base).rglob("*")):
            if not p.is_file() or any(x == p.resolve() or x in p.resolve().parents for x in exclude):
                continue
            b = p.read_bytes()
            if p.suffix == ".gz":
                try:
                    b = gzip.decompress(b)
                except (OSError, EOFError):
                    continue
            ids.update(x.decode("ascii", "replace") for x in _MSGID.findall(b))
            subjects = [x.decode("utf-8", "replace") for x in _SUBJECT_LINE.findall(b)]
            for x in _JSON_SUBJECT.findall(b):
                try:
                    subjects.append(json.loads(x))
                except ValueError:
                    continue
            series.update(series_key(s) for s in subjects)
    series.discard("")
    return Known(frozenset(ids), frozenset(series))


def known_as_fresh_sets_1_2(seed: int) -> Known:
    """The narrower rule the first-sight sets 1 and 2 were drawn with (bench/draw_fresh.py, seeds
    20261203 and 20261204), kept so that each can be drawn again as it was made: the roots and
    subjects of tests/data/annotations/index.json and the Message-ID and Subject headers of the plain
    .mbox files under tests/data and data/threads, but for the sets drawn with this seed or after
    it. It reads no gzipped mail: three of set 1's twelve threads have a series in
    data/corpus/linux-security-module-2022.mbox.gz and are held under known() (Landlock network
    PoC, lib/string_helpers, bpf: Check xattr name/value pair)."""
    from analysis.corpus import ANNOTATIONS

    later = {v for v in SET_SEED.values() if v >= seed}
    ids, series, own = set(), set(), set()
    for t in json.loads((ANNOTATIONS / "index.json").read_text())["threads"]:
        if any(t.get("first_sight_set", "").endswith(f"seed {v}") for v in later):
            own.add(t["slug"])
            continue
        ids.add(t["root"])
        series.add(series_key(t["subject"]))
    paths = sorted((ROOT / "tests" / "data").rglob("*.mbox")) + sorted((ROOT / "data" / "threads").glob("*.mbox"))
    for p in paths:
        if (FRESH in p.parents and SET_SEED[2] in later) or p.stem in own:
            continue
        for line in open(p, errors="replace"):
            low = line.lower()
            if low.startswith("subject:"):
                series.add(series_key(line.split(":", 1)[1].strip()))
            elif low.startswith("message-id:"):
                ids.add(line.split(":", 1)[1].strip().strip("<>"))
    return Known(frozenset(ids), frozenset(series))
