"""Pick fresh archive threads for the findings precision measure (tests/data/findings-fresh/), by
rule and seed, before hookdebate runs on them: threads of ../shared/corpus/linux-security-module-
archive.mbox.gz whose subject line names a modeled subject (bench_unjudged.thread_subject: bpf,
capabilities, user namespaces, LSM hooks), with 3+ messages from 2+ people, not from 2022 (read to
write link rules), no Message-ID of which appears in any file under tests/ or data/ (so none of the
findings or annotation threads, nor the embedded one) and whose subject is no subject found there, dated where a modeled variant holds for the
thread's subject (data/kernels/releases.json: a variant of the release, or for capabilities, user
namespaces and LSM hooks a variant holding for capable()/ns_capable()/userns_create), then a seeded
random draw per subject, one posting per series (up to 8 bpf, 10 capabilities, 4 user namespaces, LSM hooks for the rest). Writes each thread as gzipped mbox (the archive's raw bytes).

    .venv/bin/python bench/pick_findings_threads.py [--seed 12] [--n 24]            # batch 1
    .venv/bin/python bench/pick_findings_threads.py --seed 13 --n 12 --variant pre-capbpf   # batch 2
"""
from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_unjudged import ARCHIVE, _root, thread_subject  # noqa: E402

OUT = ROOT / "tests" / "data" / "findings-fresh"
QUOTE = re.compile(rb"^(>*From )", re.M)
QUOTA = {"bpf": 8, "capabilities": 10, "user namespaces": 4, "LSM hooks": None}   # None: the rest up to --n


def known_ids() -> tuple[set[str], set[str]]:
    """Every Message-ID-looking string in any file under tests/ and data/ (plain or gzipped), and
    every subject line there (as slug(): another posting of a series read before is no fresh thread)."""
    rx = re.compile(rb"[\w.+-]{6,}@[\w.-]+\w")
    srx = re.compile(rb"^Subject: (.*)$", re.M)
    out: set[str] = set()
    subjects: set[str] = set()
    for base in (ROOT / "tests", ROOT / "data"):
        for p in base.rglob("*"):
            if not p.is_file() or OUT in p.parents:
                continue
            b = p.read_bytes()
            if p.suffix == ".gz":
                try:
                    b = gzip.decompress(b)
                except OSError:
                    continue
            out.update(x.decode("ascii", "replace") for x in rx.findall(b))
            subjects.update(slug(x.decode("utf-8", "replace"))[:40] for x in srx.findall(b))
    subjects.discard("")
    return out, subjects


def slug(s: str) -> str:
    s = re.sub(r"^\s*((re|fwd?)\s*:\s*|\[[^\]]*\]\s*)+", "", s or "", flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:48]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--variant", help="only threads whose date this variant holds for (a later batch: "
                                      "--seed 13 --n 12 --variant pre-capbpf)")
    args = ap.parse_args()
    import analysis
    from scraper import iter_mbox
    from semantics import kernel_on

    known, known_subjects = known_ids()
    threads = analysis.split_threads(iter_mbox(ARCHIVE))
    pool = defaultdict(list)
    for t in threads:
        if len(t) < 3 or len({m.from_address for m in t}) < 2:
            continue
        dates = [m.date for m in t if m.date]
        if not dates:
            continue
        d = min(dates).date()
        if d.year == 2022 or any(m.message_id in known for m in t) or slug(_root(t).subject)[:40] in known_subjects:
            continue
        subj = thread_subject(_root(t).subject)
        if subj not in QUOTA:
            continue
        c = kernel_on(d)
        if not (c.variant or (c.partial and subj != "bpf")):
            continue
        if args.variant and c.variant != args.variant:
            continue
        pool[subj].append(t)
    rng = random.Random(args.seed)
    OUT.mkdir(parents=True, exist_ok=True)
    picked = 0
    for subj, n in QUOTA.items():
        n = (args.n - picked) if n is None else n
        cands = sorted(pool[subj], key=lambda t: _root(t).message_id)
        order = rng.sample(cands, len(cands))
        chosen, series = [], set()
        for t in order:            # one posting per series (the same subject without its tags)
            key = slug(_root(t).subject)[:40]
            if key not in series and len(chosen) < n:
                series.add(key)
                chosen.append(t)
        for t in chosen:
            r = _root(t)
            name = f"{min(m.date for m in t if m.date).date().isoformat()}-{slug(r.subject)}.mbox.gz"
            with gzip.GzipFile(OUT / name, "wb", mtime=0) as f:
                for m in sorted(t, key=lambda m: m.date.timestamp() if m.date else 0):
                    body = QUOTE.sub(rb">\1", m.raw)          # mboxrd, as hookdebate fetch writes
                    f.write(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + body
                            + (b"" if body.endswith(b"\n") else b"\n") + b"\n")
            print(f"{subj:16} {len(t):3} msgs  {name}")
            picked += 1
        print(f"  ({subj}: {len(cands)} candidates)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
