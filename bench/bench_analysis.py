"""Analysis stage: quality against the development annotation, and speed.

Quality (tests/gold-authoritative-hooks.json, the embedded 52-message thread):
per-person stance accuracy, per-message stance accuracy and macro-F1, cited-concept
precision/recall/F1, reply-pair attribution accuracy (see analysis/evaluate.py).

Speed: words/s and messages/s of analyze() on the 52-message thread and on one
month of the 2022 linux-security-module corpus (all of that month's threads),
each with ratios against two anchors measured in the same run over the same
text: a plain `str.split` pass and spaCy's tokenizer alone.

    .venv/bin/python bench/bench_analysis.py [--month 2022-08] [--corpus PATH] [--no-month]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze, split_threads  # noqa: E402
from analysis.evaluate import evaluate  # noqa: E402
from scraper import iter_mbox  # noqa: E402

THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
GOLD = ROOT / "tests" / "gold-authoritative-hooks.json"
CORPUS = ROOT / "data" / "corpus" / "linux-security-module-2022.mbox.gz"


def _anchors(messages) -> tuple[float, float, int]:
    from analysis.nlp import get_nlp

    texts = [m.body for m in messages]
    t = time.perf_counter()
    words = sum(len(x.split()) for x in texts)
    t_split = time.perf_counter() - t
    tok = get_nlp().tokenizer
    t = time.perf_counter()
    for x in texts:
        tok(x)
    t_tok = time.perf_counter() - t
    return t_split, t_tok, words


def _speed(label: str, threads: list[list]) -> None:
    """Wall and CPU time of analyze() over the threads, in this process, starting from an empty
    parse cache (analysis.pipeline.PARSE_CACHE_CHARS: a piece read before is not parsed again,
    so a thread read twice would be timed on its second, cheaper, reading)."""
    import os

    from analysis import pipeline

    msgs = [m for t in threads for m in t]
    t_split, t_tok, words = _anchors(msgs)
    pipeline._PARSED = pipeline._ParseCache()
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    for th in threads:
        analyze(th)
    el, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"{label}: {len(msgs)} messages, {len(threads)} thread(s), {words} words (str.split of bodies); "
          f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)")
    print(f"  analyze: {el:.2f}s wall  {words / el:,.0f} words/s  {len(msgs) / el:,.1f} messages/s; "
          f"{cpu:.2f}s CPU  {words / cpu:,.0f} words per CPU second  {1000 * cpu / len(msgs):.1f} ms CPU/message")
    print(f"  anchor str.split: {t_split * 1000:.1f} ms  -> analyze is {el / max(t_split, 1e-9):,.0f}x slower")
    print(f"  anchor spaCy tokenizer only: {t_tok:.2f}s -> analyze is {el / max(t_tok, 1e-9):.1f}x the tokenizer")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--month", default="2022-08", help="YYYY-MM of the corpus to time (default 2022-08)")
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument("--no-month", action="store_true")
    args = ap.parse_args()

    messages = list(iter_mbox(THREAD))
    from analysis.nlp import get_nlp, model_name

    t = time.perf_counter()
    get_nlp()
    print(f"spaCy model {model_name()} loaded in {time.perf_counter() - t:.2f}s "
          f"(components: {', '.join(get_nlp().pipe_names)})")
    gold = json.loads(GOLD.read_text())
    a = analyze(messages)  # warm-up + quality
    r = evaluate(a, gold)
    print("\n== quality on the development thread (52 messages)")
    for name, g, p, _ in r["persons"]:
        print(f"  {name:24s} gold={g:8s} predicted={p}")
    print(f"per-person stance accuracy:  {r['person_accuracy']:.3f}")
    print(f"identity merge accuracy:     {r['identity_accuracy']:.3f}")
    print(f"per-message stance accuracy: {r['message_accuracy']:.3f}   macro-F1: {r['message_macro_f1']:.3f}")
    print(f"cited concepts: precision {r['cites_precision']:.3f}  recall {r['cites_recall']:.3f}  "
          f"F1 {r['cites_f1']:.3f}")
    print(f"cited concepts per message (union over its claims): precision {r['message_cites_precision']:.3f}  "
          f"recall {r['message_cites_recall']:.3f}  F1 {r['message_cites_f1']:.3f}")
    print(f"claims: {len(a.claims)} predicted; gold claims matched {r['claim_recall']:.3f}; "
          f"claim type accuracy {r['claim_type_accuracy']:.3f}")
    print(f"reply-pair attribution accuracy: {r['reply_accuracy']:.3f} "
          f"(over {r['reply_pairs_scored']} gold claims that answer a quote); "
          f"relation (attack/support/none) accuracy: {r['relation_accuracy']:.3f}")
    wrong = [(gm["message_id"], gm["stance"], s.stance) for gm in gold["messages"]
             for s in a.message_stances if s.message_id == gm["message_id"] and s.stance != gm["stance"]]
    for mid, g, p in wrong:
        print(f"  message stance miss: {mid[:40]} gold={g} predicted={p}")

    print("\n== speed")
    _speed("development thread", [messages])
    if not args.no_month:
        corpus = Path(args.corpus)
        if not corpus.exists():
            print(f"(no corpus at {corpus}; skipping the month)")
            return 0
        month = [m for m in iter_mbox(corpus) if m.date is not None and m.date.strftime("%Y-%m") == args.month]
        threads = split_threads(month)
        _speed(f"2022 corpus, month {args.month}", threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
