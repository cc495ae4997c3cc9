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
"already held", so either draw comes out as it was made (tests/test_known_threads.py, from the
threads list they were drawn from, tests/data/draws). "Already held" is bench/known_threads.py's;
sets 1 and 2 were drawn with a narrower rule than the one bench/pick_findings_threads.py uses
(--rule fresh-sets-1-2, the default so they come out as made); a new set: --rule repository."""
from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from known_threads import RULES, SET_SEED, known, known_as_fresh_sets_1_2  # noqa: E402

CURRENT = SET_SEED[2]        # the set in tests/data/annotations-fresh


def draw(threads: list[dict], seed: int = CURRENT, per_shape: int = 6, rule: str = "fresh-sets-1-2",
         leave_out=()) -> list[dict]:
    """rule: what counts as already in the repository (bench/known_threads.py): 'repository', or
    'fresh-sets-1-2', the narrower rule sets 1 and 2 were drawn with (then `seed` says which set's
    threads, and those drawn after it, are not held); leave_out: folders the repository rule skips."""
    held = known_as_fresh_sets_1_2(seed) if rule == "fresh-sets-1-2" else known(leave_out)
    pool = []
    for t in threads:
        s = t["subject"] or ""
        if not (6 <= t["messages"] <= 30) or "syzbot" in s.lower() or "GIT PULL" in s:
            continue
        if held.holds([t["root"]], s):
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
    ap.add_argument("--rule", choices=RULES, default="fresh-sets-1-2",
                    help="what counts as already in the repository (bench/known_threads.py; default: the rule "
                         "sets 1 and 2 were drawn with; a new set: repository)")
    ap.add_argument("--leave-out", action="append", default=[], type=Path,
                    help="with --rule repository: a folder not counted (a set's own, to draw it again)")
    args = ap.parse_args()
    for t in draw(json.loads(Path(args.threads_json).read_text())["threads"], seed=args.seed, rule=args.rule,
                  leave_out=args.leave_out):
        print(json.dumps({k: t[k] for k in ("root", "subject", "messages", "people", "first")}))
