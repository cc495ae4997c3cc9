"""Stance on threads the model did not see: thread-grouped k-fold cross-validation over the
annotation corpus (tests/data/annotations; all versions of one series in one fold).

Prints, side by side on the same folds, the learned model (analysis.stance, trained by
analysis.stance_train on the other folds, person rule and unclear threshold tuned by
inner CV on those folds only) and the cue rules (the anchor: `analyze(stance="rules")`):
per person and per message (non-proposer messages too: the proposer's are support by
convention), accuracy and macro-F1, confusion matrices, a reliability table for person
confidence, how many people the report would show as "unclear", the inter-annotator
agreement (Cohen's kappa) on the threads read twice, how often the evidence shown for a
person read right is the sentence the annotator would quote (the fold's model against the
rules), and analysis speed in words/s against spaCy's tokenizer alone in the same run.

    .venv/bin/python bench/bench_stance.py [--folds 5] [--errors]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.corpus import FRESH, annotations, match_person  # noqa: E402
from analysis.evaluate import macro_f1  # noqa: E402
from analysis.stance import STANCES  # noqa: E402
from analysis.stance_train import config, cross_validate, first_sight, load_threads  # noqa: E402


def kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    if not n:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(a) | set(b)) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def agreement() -> dict:
    """Cohen's kappa between the first and the second reader, per message and per person."""
    first = {a.thread: a for a in annotations("first")}
    ma, mb, pa, pb = [], [], [], []
    threads = 0
    for b in annotations("B"):
        a = first.get(b.thread)
        if a is None:
            continue
        threads += 1
        la = {m["message_id"]: m["stance"] for m in a.messages if not m.get("bot")}
        lb = {m["message_id"]: m["stance"] for m in b.messages if not m.get("bot")}
        for mid in sorted(set(la) & set(lb)):
            ma.append(la[mid])
            mb.append(lb[mid])
        people_b = {" ".join(p["name"].lower().split()): p["stance"] for p in b.people}
        for p in a.people:
            k = " ".join(p["name"].lower().split())
            if k in people_b:
                pa.append(p["stance"])
                pb.append(people_b[k])
    return {"threads": threads, "messages": len(ma), "message_kappa": kappa(ma, mb),
            "message_agree": sum(x == y for x, y in zip(ma, mb)) / max(1, len(ma)),
            "people": len(pa), "person_kappa": kappa(pa, pb),
            "person_agree": sum(x == y for x, y in zip(pa, pb)) / max(1, len(pa))}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def quote_matches(key: str, shown: list[str]) -> bool:
    """Is the annotator's key quote among the evidence shown: one contains the other, or
    they share at least half of the key quote's words (sentence splits differ)?"""
    k = " ".join(_words(key))
    kw = set(_words(key))
    for e in shown:
        ew = " ".join(_words(e))
        if k and ew and (k in ew or ew in k):
            return True
        if kw and len(kw & set(_words(e))) >= len(kw) / 2:
            return True
    return False


def evidence_agreement(threads, cfg) -> dict:
    """Per person read right (not the proposer) with an annotated key quote: does the shown
    evidence hold it? The fold's model (trained without the thread) against the rules."""
    from analysis.pipeline import analyze
    from analysis.stance_train import folds, train
    from scraper import iter_mbox

    out = {"model": [0, 0], "rules": [0, 0]}
    for test in folds(threads, cfg["cv"]["folds"]):
        held = set(test)
        model = train([t for i, t in enumerate(threads) if i not in held], cfg)
        for i in test:
            t = threads[i]
            msgs = list(iter_mbox(t.ann.mbox))
            for reader, a in (("model", analyze(msgs, stance=model)), ("rules", t.analysis)):
                for gp in t.ann.people:
                    key = gp.get("key_quote")
                    if not key or gp.get("ambiguous") or gp.get("bot") or gp["stance"] == "neutral":
                        continue
                    pred = match_person(gp, a.positions, a.author_of)
                    if pred is None or pred.stance != gp["stance"] or pred.person_id == a.extra.get("proposer"):
                        continue
                    out[reader][1] += 1
                    out[reader][0] += quote_matches(key, [e.quote for e in pred.evidence])
    return out


def confusion(rows: list[dict], key: str) -> str:
    c = Counter((r["gold"], r[key]) for r in rows)
    cols = list(STANCES) + sorted({r[key] for r in rows} - set(STANCES))
    out = ["             " + "".join(f"{s:>9}" for s in cols)]
    for g in STANCES:
        out.append(f"  {g:<10} " + "".join(f"{c[(g, p)]:>9}" for p in cols))
    return "\n".join(out)


def score(rows: list[dict], key: str) -> tuple[int, int, float, float]:
    ok = sum(r["gold"] == r[key] for r in rows)
    return ok, len(rows), ok / max(1, len(rows)), macro_f1([r["gold"] for r in rows], [r[key] for r in rows])


def accuracy_table(people: list[dict], msgs: list[dict]) -> None:
    """Accuracy and macro-F1 of the model beside the rules (the anchor) on the same rows."""
    others = [r for r in msgs if not r["proposer"]]
    print(f"{'':34}{'model':>16}{'rules (anchor)':>18}")
    for name, rows, keys in (("per person: accuracy", people, ("shown", "rules")),
                             ("per person (no unclear): acc.", people, ("model", "rules")),
                             ("per message: accuracy", msgs, ("model", "rules")),
                             ("per message, not proposer: acc.", others, ("model", "rules"))):
        a, b = (score(rows, k) for k in keys)
        print(f"  {name:<32}{a[0]:>5}/{a[1]:<4} {a[2]:.3f}   {b[0]:>5}/{b[1]:<4} {b[2]:.3f}")
    for name, rows in (("per person: macro-F1", people), ("per message: macro-F1", msgs),
                       ("per message, not proposer: F1", others)):
        a, b = score(rows, "model"), score(rows, "rules")
        print(f"  {name:<32}{a[3]:>16.3f}{b[3]:>18.3f}")
    non_prop = [r for r in people if not r.get("proposer")]
    a, b = score(non_prop, "model"), score(non_prop, "rules")
    print(f"  {'per person, not proposer: acc.':<32}{a[0]:>5}/{a[1]:<4} {a[2]:.3f}   {b[0]:>5}/{b[1]:<4} {b[2]:.3f}")
    unclear = sum(r["shown"] == "unclear" for r in people)
    print(f"  shown as unclear: {unclear} of {len(people)} people")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=None)
    ap.add_argument("--dump", metavar="FILE", help="write every cross-validated row as JSON")
    ap.add_argument("--errors", action="store_true", help="list every person the model reads wrong")
    args = ap.parse_args()
    cfg = config()
    if args.folds:
        cfg["cv"]["folds"] = args.folds
    anns = annotations("first")

    from analysis.nlp import get_nlp
    get_nlp()
    t0 = time.perf_counter()
    threads = load_threads(anns)
    t_an = time.perf_counter() - t0
    tok = get_nlp().tokenizer
    t0 = time.perf_counter()
    for t in threads:
        for m in t.analysis.messages:
            tok(m.body)
    t_tok = time.perf_counter() - t0
    words = sum(t.words for t in threads)

    t0 = time.perf_counter()
    res = cross_validate(threads, cfg)
    t_cv = time.perf_counter() - t0
    people, msgs = res["people"], res["messages"]
    if args.dump:
        Path(args.dump).write_text(__import__("json").dumps(res, indent=1))
    others = [r for r in msgs if not r["proposer"]]
    labelled = sum(1 for t in threads if t.ann.messages)
    print(f"corpus: {len(threads)} threads ({labelled} with per-message labels), {len(people)} scored people, "
          f"{len(msgs)} scored messages ({len(others)} not the proposer's), {cfg['cv']['folds']} thread-grouped folds")
    print()
    accuracy_table(people, msgs)
    print("\nper person, model (rows gold, columns predicted):\n" + confusion(people, "model"))
    print("per person, rules:\n" + confusion(people, "rules"))
    print("per message, model:\n" + confusion(msgs, "model"))
    print("per message, rules:\n" + confusion(msgs, "rules"))

    non_prop = [r for r in people if not r.get("proposer")]
    print("\nreliability of person confidence (model, people other than the proposer):")
    bins = [(0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)]
    for lo, hi in bins:
        rs = [r for r in non_prop if lo <= r["confidence"] < hi]
        if rs:
            ok = sum(r["gold"] == r["model"] for r in rs)
            print(f"  confidence {lo:.1f}-{min(hi, 1.0):.1f}: {ok:>3}/{len(rs):<3} right = {ok / len(rs):.2f}")

    ag = agreement()
    print(f"\ninter-annotator agreement ({ag['threads']} threads read twice, independently):")
    print(f"  per message: kappa {ag['message_kappa']:.3f} (raw agreement {ag['message_agree']:.3f}, {ag['messages']} messages)")
    print(f"  per person:  kappa {ag['person_kappa']:.3f} (raw agreement {ag['person_agree']:.3f}, {ag['people']} people)")
    ev = evidence_agreement(threads, cfg)
    print("\nevidence: the annotator's key quote among the evidence shown, people read right (not the proposer):")
    for reader in ("model", "rules"):
        k, n = ev[reader]
        print(f"  {reader:<6} {k:>4}/{n:<4} = {k / max(1, n):.3f}")
    fresh = annotations("first", base=FRESH) if FRESH.is_dir() else []
    if fresh:
        from analysis.stance import load_model
        ft = load_threads(fresh)
        fs = first_sight(load_model(), ft)
        fm = sum(len(t.ann.messages) for t in ft)
        print(f"\nfirst sight: the shipped model (data/stance/model.json) on {len(ft)} threads drawn and read after "
              f"it was trained (tests/data/annotations-fresh; {len(fs['people'])} scored people, "
              f"{len(fs['messages'])} scored messages of {fm}):")
        accuracy_table(fs["people"], fs["messages"])
        if args.errors:
            for r in fs["people"]:
                if r["gold"] != r["shown"]:
                    print(f"  wrong: {r['thread']:<46} {r['name']:<28} gold={r['gold']:<8} model={r['shown']:<8} rules={r['rules']}")
    print(f"\nspeed: analysis of {words:,} words in {t_an:.1f}s = {words / t_an:,.0f} words/s; "
          f"spaCy tokenizer alone {t_tok:.2f}s (analysis is {t_an / t_tok:.1f}x the tokenizer); cross-validation {t_cv:.1f}s")
    if args.errors:
        print("\nwrong (model):")
        for r in people:
            if r["gold"] != r["shown"]:
                print(f"  {r['thread']:<50} {r['name']:<28} gold={r['gold']:<8} model={r['shown']:<8} rules={r['rules']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
