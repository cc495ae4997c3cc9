"""Held-out per-person stances: 2022 linux-security-module threads the analysis was not
developed on, annotated by hand before looking at hookdebate's output
(tests/data/holdout-stances.json; the threads are mboxes in tests/data/).

Prints, per thread, each annotated person's gold and predicted stance (rows marked
'-' are uncertain in the annotation and not scored), per-thread and overall
accuracy, and a confusion matrix (rows gold, columns predicted). Speed: analyze() over
all the held-out threads against spaCy's tokenizer alone over the same bodies,
both measured in this run.

    .venv/bin/python bench/bench_holdout.py [--quiet]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze  # noqa: E402
from analysis.evaluate import evaluate_positions  # noqa: E402
from analysis.model import STANCES  # noqa: E402
from scraper import iter_mbox  # noqa: E402

DATA = ROOT / "tests" / "data"
GOLD = DATA / "holdout-stances.json"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quiet", action="store_true", help="only wrong rows and the totals")
    args = ap.parse_args()
    gold = json.loads(GOLD.read_text())
    threads = [(t, list(iter_mbox(DATA / t["file"]))) for t in gold["threads"]]

    from analysis.nlp import get_nlp
    get_nlp()
    analyze(threads[-1][1])  # warm-up (model load, lexicon)

    t0 = time.perf_counter()
    # the cue rules: these threads are in the stance model's training corpus now, so the
    # model's figure on them would be in-sample (bench/bench_stance.py cross-validates it)
    analyses = [analyze(msgs, stance="rules") for _, msgs in threads]
    t_an = time.perf_counter() - t0
    tok = get_nlp().tokenizer
    t0 = time.perf_counter()
    for _, msgs in threads:
        for m in msgs:
            tok(m.body)
    t_tok = time.perf_counter() - t0

    confusion: Counter = Counter()
    right = total = 0
    for (t, msgs), a in zip(threads, analyses):
        rows = evaluate_positions(a, t["people"])
        scored = [r for r in rows if r["scored"]]
        ok = sum(r["gold"] == r["predicted"] for r in scored)
        right, total = right + ok, total + len(scored)
        print(f"\n== {t['file']} ({len(msgs)} messages): {ok}/{len(scored)} "
              f"= {ok / max(1, len(scored)):.3f}")
        for r in rows:
            if r["scored"]:
                confusion[(r["gold"], r["predicted"])] += 1
            mark = "-" if not r["scored"] else ("ok" if r["gold"] == r["predicted"] else "XX")
            if args.quiet and mark != "XX":
                continue
            print(f"  {mark:2s} {r['name'][:24]:24s} gold={r['gold']:8s} predicted={r['predicted']:8s}"
                  f" {r['evidence'][:70]!r}")

    print(f"\nheld-out per-person stance accuracy: {right}/{total} = {right / max(1, total):.3f} "
          f"({len(threads)} threads)")
    labels = list(STANCES) + (["missing"] if any(p == "missing" for _, p in confusion) else [])
    print("confusion (rows gold, columns predicted):")
    print("  " + " " * 9 + "".join(f"{lab:>9s}" for lab in labels))
    for g in STANCES:
        print(f"  {g:9s}" + "".join(f"{confusion[(g, p)]:9d}" for p in labels))

    msgs_n = sum(len(m) for _, m in threads)
    words = sum(len(m.body.split()) for _, ms in threads for m in ms)
    print(f"\nspeed: analyze() over {msgs_n} messages ({words} words) in {t_an:.2f}s, "
          f"{words / t_an:,.0f} words/s, {msgs_n / t_an:.1f} messages/s")
    print(f"  anchor spaCy tokenizer only: {t_tok:.2f}s -> analyze is {t_an / max(t_tok, 1e-9):.1f}x the tokenizer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
