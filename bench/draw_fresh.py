"""The seeded draw of tests/data/annotations-fresh (the first-sight stance set), kept so
the draw can be checked: the threads were chosen by this script before anyone read them.

    hookdebate ingest --db /tmp/archive.db ../shared/corpus/linux-security-module-archive.mbox.gz
    hookdebate threads --db /tmp/archive.db --min-messages 6 --min-people 4 -n 100000 --json > /tmp/threads.json
    python bench/draw_fresh.py /tmp/threads.json [--seed 20261204]

Six RFC/design threads and six patch reviews of 6-30 messages and 4+ people, years taken in
a shuffled round, leaving out syzbot reports, pull requests and every thread or series
already in tests/data or data/. Set 1 (seed 20261203) was measured, then became training data
(tests/data/annotations, index entries marked "first_sight_set"); set 2 (seed 20261204, the
default) is tests/data/annotations-fresh. Redrawing a set leaves its own threads out of
"already held", so either draw comes out as it was made."""
from __future__ import annotations

import glob
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.corpus import ANNOTATIONS, series_key  # noqa: E402


SET_SEED = {1: 20261203, 2: 20261204}
CURRENT = SET_SEED[2]        # the set in tests/data/annotations-fresh


def used(seed: int = CURRENT) -> tuple[set[str], set[str]]:
    """Roots and series keys of every thread the repository already holds, but for the sets
    drawn with this seed or after it (so that each draw can be repeated as it was made)."""
    later = {v for v in SET_SEED.values() if v >= seed}
    roots, series = set(), set()
    own: set[str] = set()
    for t in json.loads((ANNOTATIONS / "index.json").read_text())["threads"]:
        if any(t.get("first_sight_set", "").endswith(f"seed {v}") for v in later):
            own.add(t["slug"])
            continue
        roots.add(t["root"])
        series.add(series_key(t["subject"]))
    for p in glob.glob(str(ROOT / "tests/data/**/*.mbox"), recursive=True) + glob.glob(str(ROOT / "data/threads/*.mbox")):
        if ("annotations-fresh" in p and CURRENT in later) or Path(p).stem in own:
            continue
        for line in open(p, errors="replace"):
            low = line.lower()
            if low.startswith("subject:"):
                series.add(series_key(line.split(":", 1)[1].strip()))
            elif low.startswith("message-id:"):
                roots.add(line.split(":", 1)[1].strip().strip("<>"))
    return roots, series


def draw(threads: list[dict], seed: int = CURRENT, per_shape: int = 6) -> list[dict]:
    roots, series = used(seed)
    pool = []
    for t in threads:
        s = t["subject"] or ""
        if not (6 <= t["messages"] <= 30) or "syzbot" in s.lower() or "GIT PULL" in s:
            continue
        if t["root"] in roots or series_key(s) in series:
            continue
        shape = "design" if re.search(r"\bRFC\b", s) or not re.search(r"\[PATCH", s) else "patch"
        pool.append((t["first"][:4], shape, t))
    rng = random.Random(seed)
    rng.shuffle(pool)
    picked: list[dict] = []
    for want in ("design", "patch"):
        cand = [x for x in pool if x[1] == want]
        years = sorted({x[0] for x in cand})
        rng.shuffle(years)
        got = i = 0
        while got < per_shape and any(x[2] not in picked for x in cand):
            y = years[i % len(years)]
            i += 1
            c = [x for x in cand if x[0] == y and x[2] not in picked]
            if c:
                picked.append(c[0][2])
                got += 1
    return picked


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("threads_json")
    ap.add_argument("--seed", type=int, default=CURRENT, help=f"the set's seed (sets: {SET_SEED})")
    args = ap.parse_args()
    for t in draw(json.loads(Path(args.threads_json).read_text())["threads"], seed=args.seed):
        print(json.dumps({k: t[k] for k in ("root", "subject", "messages", "people", "first")}))
