"""What the data-only stored formats cost: loading a cached thread analysis and the debate
postings index from their JSON documents (analysis.output), against pickle.loads of the same
object in memory as the anchor (what the store read before schema 2; pickled here only to
measure, never stored or read from a database).

One command: .venv/bin/python bench/bench_store.py [--repeat N]
Setup: a fresh store in a temporary directory with the embedded thread (analyzed once, spaCy
included) and the 2022 linux-security-module corpus (its postings index).
Prints per shape: document and pickle sizes, and the load time as a ratio of pickle.loads.
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
CORPUS = ROOT / "data" / "corpus" / "linux-security-module-2022.mbox.gz"


def _per_call(f, n: int) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    from analysis.debate import Postings
    from analysis.output import postings_from_json, postings_to_json
    from hookdebate.pipeline import analyze_thread, cache_key, select_thread_id, thread_digest
    from hookdebate.store import Store
    from scraper import iter_mbox

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "hd.db")
        store.add_messages(iter_mbox(THREAD))
        a = analyze_thread(store)
        tid = select_thread_id(store)
        key, digest = cache_key(tid), thread_digest(store, tid)
        doc = store.db.conn.execute("select blob from analysis_cache where root_id = ?", [key]).fetchone()[0]
        blob = pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL)
        assert store.load_cached(key, digest) == a
        tp = _per_call(lambda: pickle.loads(blob), args.repeat)
        tj = _per_call(lambda: store.load_cached(key, digest), args.repeat)
        print(f"thread analysis ({len(a.messages)} messages): JSON document {len(doc.encode()) / 1e3:.0f} kB "
              f"(messages by Message-ID), pickle {len(blob) / 1e3:.0f} kB; "
              f"load_cached (JSON + the messages from the store) {tj * 1e3:.1f} ms = {tj / tp:.2f}x "
              f"pickle.loads ({tp * 1e3:.1f} ms, anchor)")

    p = Postings(iter_mbox(CORPUS))
    text = json.dumps(postings_to_json(p), ensure_ascii=False, separators=(",", ":"))
    blob = pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)
    n = max(1, args.repeat // 4)
    tp = _per_call(lambda: pickle.loads(blob), n)
    tj = _per_call(lambda: postings_from_json(json.loads(text)), n)
    print(f"debate postings ({len(p._heads)} messages, {len(p.postings)} postings): JSON document "
          f"{len(text.encode()) / 1e6:.2f} MB, pickle {len(blob) / 1e6:.2f} MB; load {tj * 1e3:.1f} ms = "
          f"{tj / tp:.2f}x pickle.loads ({tp * 1e3:.1f} ms, anchor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
