"""What the kernel model cannot judge over the whole shared archive, per subject, and why.

Reads ../shared/corpus/linux-security-module-archive.mbox.gz (42,650 messages; not copied into the
project; tests never read it), threads it (analysis.split_threads) and prints two tables:

1. Every thread, by the subject its subject line names (bpf, user namespaces, capabilities, LSM
   hooks, vm_enough_memory, other; first match wins): how many threads and messages have no modeled
   kernel for their date (data/kernels/releases.json through semantics.kernel_on: every claim of such
   a thread is "cannot judge: no modeled kernel"), by the release they would need, and how many are
   judged against a variant (or, in a proposal window, may be). This needs no parsing.
2. Every claim about kernel semantics in the threads that a variant holds for (those are analyzed:
   analysis.analyze with the cue rules' stance, then analysis.link.link_claims, as bench_findings), by
   the subject of the concepts it cites: findings, and why the rest are not (findings_lib.claim_fate:
   normative/proposal/question, hedged, instruction, subject unmodeled, no outcome stated, no direct
   fit: it states an outcome but names no operation a scenario replays).

The anchor, measured in the same run: threading the archive (our own split_threads), against which
the analysis of the judged threads is given as a ratio of time.

    .venv/bin/python bench/bench_unjudged.py [--archive PATH] [--jobs N] [--json]

Analyses are cached in bench/out/unjudged-cache/ (keyed by the thread's Message-IDs and a digest of
the analysis code except link.py/findings.py and of its data), so a rerun after a change of the link
rules or the kernels re-links without re-parsing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from findings_lib import FATES, claim_fate, subject_of  # noqa: E402

ARCHIVE = ROOT.parent.parent / "shared" / "corpus" / "linux-security-module-archive.mbox.gz"
if not ARCHIVE.exists():
    ARCHIVE = Path("/work/shared/corpus/linux-security-module-archive.mbox.gz")
CACHE = ROOT / "bench" / "out" / "unjudged-cache"

# a thread's subject from its subject line (tags and Re: stripped), first match wins: the order of
# findings_lib.SUBJECTS (a claim's subject from its concepts)
THREAD_SUBJECTS = (
    ("vm_enough_memory", re.compile(r"vm_enough_memory|overcommit", re.I)),
    ("user namespaces", re.compile(r"user[ _-]?ns\b|user[_ -]namespace|\buserns|CLONE_NEWUSER|idmap", re.I)),
    ("bpf", re.compile(r"\be?bpf|\bbtf\b|\bkrsi\b", re.I)),
    ("capabilities", re.compile(r"\bcap(abilit\w*|able|_[a-z_]+)\b|\bCAP_|commoncap|file caps|fcaps", re.I)),
    ("LSM hooks", re.compile(r"\bhooks?\b|\blsm\b|security_\w+|lsm_hook", re.I)),
)
_TAGS = re.compile(r"^\s*((re|fwd?|aw)\s*:\s*|\[[^\]]*\]\s*)+", re.I)


def thread_subject(subject: str) -> str:
    s = _TAGS.sub("", subject or "")
    for name, rx in THREAD_SUBJECTS:
        if rx.search(s):
            return name
    return "other"


def _root(thread):
    ids = {m.message_id for m in thread}
    return next((m for m in thread if not m.parent_id or m.parent_id not in ids), thread[0])


def _fingerprint() -> str:
    from hookdebate.pipeline import code_fingerprint

    h = hashlib.sha256()
    for p in sorted((ROOT / "analysis").glob("*.py")):
        if p.name not in ("link.py", "findings.py"):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    h.update(code_fingerprint(ROOT / "data" / "lexicon", ROOT / "data" / "identities").encode())
    return h.hexdigest()[:16]


def _analyze(thread, fp: str):
    """The thread's analysis, from the cache when the same messages were analyzed by the same code."""
    import analysis
    from analysis.output import analysis_from_json, analysis_to_json

    key = hashlib.sha1(("\n".join(sorted(m.message_id for m in thread)) + fp).encode()).hexdigest()
    path = CACHE / f"{key}.json"
    by_id = {m.message_id: m for m in thread}
    if path.exists():
        try:
            return analysis_from_json(json.loads(path.read_text()), messages=by_id)
        except (ValueError, KeyError):
            pass
    a = analysis.analyze(thread, stance="rules")
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(analysis_to_json(a, messages="ids")))
    return a


def _fates(thread, fp: str, dump: bool = False) -> tuple[Counter, int, float, list]:
    from analysis.link import link_claims, names_operation

    t0 = time.process_time()
    a = _analyze(thread, fp)
    t_an = time.process_time() - t0
    linked = link_claims(a)
    out, rows = Counter(), []
    for c in a.claims:
        link = linked.link(c.claim_id)
        if link is None or not link.semantic:
            continue
        fate = claim_fate(link)
        out[(subject_of(c.cites), fate)] += 1
        if dump:
            v = link.verdicts[0] if link.verdicts else None
            rows.append({"thread": a.subject, "message_id": c.message_id, "claim": c.text, "type": c.type,
                         "cites": list(c.cites), "subject": subject_of(c.cites), "fate": fate,
                         "names_operation": names_operation(c.text, None), "kernel": link.kernel,
                         "scenario": v.scenario_id if v else None, "reason": v.reason if v else link.unjudged_reason})
    return out, len(a.claims), t_an, rows


def _work(args):
    thread, fp, dump = args
    return _fates(thread, fp, dump)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--jobs", type=int, default=1, help="processes analyzing the judged threads (default 1)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dump", type=Path, help="write every semantic claim of the judged threads with its fate (JSON lines)")
    args = ap.parse_args()
    if not args.archive.exists():
        print(f"bench_unjudged: no archive at {args.archive}", file=sys.stderr)
        return 2
    import analysis
    from analysis.link import load_rules
    from scraper import iter_mbox
    from semantics import kernel_on

    msgs = list(iter_mbox(args.archive))
    t0 = time.perf_counter()
    threads = analysis.split_threads(msgs)
    t_thread = time.perf_counter() - t0
    proposals = load_rules()["proposals"]
    rows: dict = defaultdict(lambda: {"threads": 0, "messages": 0, "no_kernel_threads": 0, "no_kernel_messages": 0,
                                      "judged_threads": 0, "judged_messages": 0, "proposal_window_threads": 0,
                                      "partial_threads": 0,
                                      "needs": Counter()})
    judged = []
    for t in threads:
        dates = [m.date for m in t if m.date]
        d = min(dates).date() if dates else None
        choice = kernel_on(d)
        subj = thread_subject(_root(t).subject)
        r = rows[subj]
        r["threads"] += 1
        r["messages"] += len(t)
        in_window = d is not None and any(p["from"] <= d.isoformat() <= p["until"] for p in proposals)
        if choice.variant is None and not in_window and not choice.partial:
            r["no_kernel_threads"] += 1
            r["no_kernel_messages"] += len(t)
            r["needs"][choice.release.name if choice.release else "(undated or after the table)"] += 1
        else:
            if choice.variant is None and choice.partial:
                r["partial_threads"] += 1            # only claims replaying capable()/userns_create have one
            elif choice.variant is None:
                r["proposal_window_threads"] += 1    # only claims about the series have a kernel
            r["judged_threads"] += 1
            r["judged_messages"] += len(t)
            judged.append(t)
    fp = _fingerprint()
    t0 = time.perf_counter()
    if args.jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(_work, [(t, fp, bool(args.dump)) for t in judged], chunksize=4)
    else:
        results = [_fates(t, fp, bool(args.dump)) for t in judged]
    if args.dump:
        with open(args.dump, "w") as fh:
            for *_, dumped in results:
                for row in dumped:
                    fh.write(json.dumps(row) + "\n")
    t_link = time.perf_counter() - t0
    claims = defaultdict(Counter)
    for fates, *_ in results:
        for (subj, fate), n in fates.items():
            claims[subj][fate] += n
    n_claims = sum(r[1] for r in results)
    cpu_an = sum(r[2] for r in results)
    if args.json:
        print(json.dumps({"threads": {k: {**v, "needs": dict(v["needs"])} for k, v in rows.items()},
                          "claims": {k: dict(v) for k, v in claims.items()}}, indent=1))
        return 0
    total_t = sum(r["threads"] for r in rows.values())
    print(f"archive: {len(msgs)} messages, {total_t} threads; threading {t_thread:.2f} s (anchor); "
          f"{len(judged)} threads a variant holds for analyzed and linked in {t_link:.1f} s = "
          f"{t_link / max(t_thread, 1e-9):.0f}x the threading ({cpu_an:.1f} s CPU analyzing, cache misses only)")
    print("\n1. threads by the subject of their subject line: no modeled kernel for the thread's date")
    print("| subject | threads | messages | no modeled kernel: threads (messages) | judged against a variant: threads "
          "(messages) | of which for some operations only (releases.json 'calls') | releases most needed (threads) |")
    print("|---|---|---|---|---|---|---|")
    order = sorted(rows, key=lambda k: (k == "other", -rows[k]["threads"]))
    for k in order + ["all"]:
        if k == "all":
            r = {f: sum(rows[x][f] for x in rows) for f in ("threads", "messages", "no_kernel_threads",
                                                             "no_kernel_messages", "judged_threads", "judged_messages",
                                                             "partial_threads")}
            r["needs"] = sum((rows[x]["needs"] for x in rows), Counter())
        else:
            r = rows[k]
        need = ", ".join(f"{n} {c}" for n, c in r["needs"].most_common(3))
        print(f"| {k} | {r['threads']} | {r['messages']} | {r['no_kernel_threads']} ({r['no_kernel_messages']}) "
              f"= {r['no_kernel_threads'] / max(1, r['threads']):.0%} | {r['judged_threads']} ({r['judged_messages']}) "
              f"| {r['partial_threads']} | {need} |")
    print(f"\n2. claims about kernel semantics in the {len(judged)} threads a variant holds for ({n_claims} claims "
          f"in all), by the subject of their concepts: what became of them")
    cols = [f for f in FATES]
    print("| subject | semantic claims | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    allc = sum(claims.values(), Counter())
    for k in sorted(claims, key=lambda k: (k == "other", -sum(claims[k].values()))) + ["all"]:
        c = allc if k == "all" else claims[k]
        print(f"| {k} | {sum(c.values())} | " + " | ".join(str(c.get(f, 0)) for f in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
