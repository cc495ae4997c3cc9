"""Pick fresh archive threads for the findings precision measure (tests/data/findings-fresh/), by
rule and seed, before hookdebate runs on them: threads of ../shared/corpus/linux-security-module-
archive.mbox.gz whose subject line names a modeled subject (bench_unjudged.thread_subject: bpf,
capabilities, user namespaces, LSM hooks), with 3+ messages from 2+ people, not from 2022 (read to
write link rules), no Message-ID of which appears in any file under tests/ or data/ (so none of the
findings or annotation threads, nor the embedded one) and whose series (analysis.corpus.series_key) is none found there (bench/known_threads.py), dated where a modeled variant holds for the
thread's subject (data/kernels/releases.json: a variant of the release, or for capabilities, user
namespaces and LSM hooks a variant holding for capable()/ns_capable()/userns_create), then a seeded
random draw per subject, one posting per series (up to 8 bpf, 10 capabilities, 4 user namespaces, LSM hooks for the rest). Writes each thread as gzipped mbox (the archive's raw bytes).

    .venv/bin/python bench/pick_findings_threads.py [--seed 12] [--n 24]            # batch 1 (as drawn: no longer, RECORDED)
    .venv/bin/python bench/pick_findings_threads.py --draw findings-fresh-2     # batch 2: --seed 13 --n 12 --variant pre-capbpf
    .venv/bin/python bench/pick_findings_threads.py --seed 21 --n 26 --by-call \
        --quota 'bpf=6,capabilities=6,user namespaces=2' --out tests/data/findings-fresh2         # set 3
    .venv/bin/python bench/pick_findings_threads.py --draw findings-fresh3 --out tests/data/findings-fresh3  # set 4:
        --seed 22 --n 25 --by-call (the 8 candidates left, all LSM hooks)

--out: another set's directory; the threads of every findings set already under tests/ are excluded
("already in the repository" is bench/known_threads.py's rule: all of tests/ and data/, the set being
drawn aside; batch 2 comes out as committed under it, tests/test_known_threads.py).
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
from known_threads import FINDINGS_FRESH as OUT, known  # noqa: E402
from scraper.mbox import mboxrd_entry  # noqa: E402

QUOTA = {"bpf": 8, "capabilities": 10, "user namespaces": 4, "LSM hooks": None}   # None: the rest up to --n
# the operation a subject's claims replay: a thread is dated where a variant holds for it (with --by-call)
SUBJECT_CALL = {"bpf": "bpf", "capabilities": "capable", "user namespaces": "userns_create", "LSM hooks": "lsm_hook"}


def holds_for(choice, call: str) -> bool:
    """Does the kernel chosen for a date have rules for op.call `call` (a variant that does not list it
    among its unmodeled_calls, or a releases.json 'calls' entry naming it)?"""
    from semantics import load_kernel

    if choice.variant:
        return call not in load_kernel(choice.variant).extra.get("unmodeled_calls", {})
    return any(call in calls for _, calls, *_ in choice.partial)


def slug(s: str) -> str:
    s = re.sub(r"^\s*((re|fwd?)\s*:\s*|\[[^\]]*\]\s*)+", "", s or "", flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:48]


# the recorded draws (their files are in OUT) that come out as committed (tests/test_known_threads.py):
# the arguments that make each again. Batch 1 (--seed 12 --n 24) no longer comes out as drawn, under
# this rule or the one it was drawn with: data/kernels and the repository changed since (pre-capbpf's
# 2019-2020 dates became candidates; with them left out, 2 bpf and 65 LSM-hook candidates, was 1 and 66)
RECORDED = {
    "findings-fresh-2": {"seed": 13, "n": 12, "variant": "pre-capbpf"},
    "findings-fresh3": {"seed": 22, "n": 25, "by_call": True},
}


def draw(threads, seed: int, n: int, variant: str | None = None, quota=None, by_call: bool = False,
         leave_out=(OUT,)):
    """[(subject, thread, file name)] the seeded draw picks from the archive's threads; leave_out:
    the set's own directory (bench/known_threads.py counts everything else under tests/ and data/)."""
    from semantics import kernel_on

    held = known(leave_out)
    pool = defaultdict(list)
    for t in threads:
        if len(t) < 3 or len({m.from_address for m in t}) < 2:
            continue
        dates = [m.date for m in t if m.date]
        if not dates:
            continue
        d = min(dates).date()
        if d.year == 2022 or held.holds([m.message_id for m in t], _root(t).subject):
            continue
        subj = thread_subject(_root(t).subject)
        if subj not in QUOTA:
            continue
        c = kernel_on(d)
        if not (c.variant or (c.partial and subj != "bpf")):
            continue
        if by_call and not holds_for(c, SUBJECT_CALL[subj]):
            continue
        if variant and c.variant != variant:
            continue
        pool[subj].append(t)
    rng = random.Random(seed)
    out = []
    for subj, q in (quota or QUOTA).items():
        q = (n - len(out)) if q is None else q
        cands = sorted(pool[subj], key=lambda t: _root(t).message_id)
        order = rng.sample(cands, len(cands))
        chosen, series = [], set()
        for t in order:            # one posting per series (the same subject without its tags)
            key = slug(_root(t).subject)[:40]
            if key not in series and len(chosen) < q:
                series.add(key)
                chosen.append(t)
        for t in chosen:
            out.append((subj, t, f"{min(m.date for m in t if m.date).date().isoformat()}-{slug(_root(t).subject)}.mbox.gz"))
        print(f"  ({subj}: {len(cands)} candidates)")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--out", type=Path, default=OUT, help="the set's directory (default tests/data/findings-fresh)")
    ap.add_argument("--quota", help="per-subject quotas, e.g. 'bpf=6,capabilities=6,user namespaces=2' (LSM hooks: the rest)")
    ap.add_argument("--by-call", action="store_true", help="dated where the kernel has rules for the subject's "
                    "operation (SUBJECT_CALL: bpf(), capable(), user namespace creation, security_HOOK() of op lsm_hook)")
    ap.add_argument("--variant", help="only threads whose date this variant holds for (a later batch: "
                                      "--seed 13 --n 12 --variant pre-capbpf)")
    ap.add_argument("--draw", choices=sorted(RECORDED), help="make a recorded draw again (its seed, n and variant)")
    args = ap.parse_args()
    import analysis
    from scraper import iter_mbox

    out_dir = args.out if args.out.is_absolute() else Path.cwd() / args.out
    quota = dict(QUOTA)
    if args.quota:
        for part in args.quota.split(","):
            k, v = part.rsplit("=", 1)
            if k.strip() not in QUOTA or k.strip() == "LSM hooks":
                ap.error(f"--quota: {k.strip()!r} is not one of bpf, capabilities, user namespaces")
            quota[k.strip()] = int(v)
    spec = RECORDED[args.draw] if args.draw else {"seed": args.seed, "n": args.n, "variant": args.variant,
                                                  "quota": quota, "by_call": args.by_call}
    out_dir.mkdir(parents=True, exist_ok=True)
    for subj, t, name in draw(analysis.split_threads(iter_mbox(ARCHIVE)), **spec, leave_out=(out_dir,)):
        with gzip.GzipFile(out_dir / name, "wb", mtime=0) as f:
            for m in sorted(t, key=lambda m: m.date.timestamp() if m.date else 0):
                f.write(mboxrd_entry(m.raw))          # mboxrd, as hookdebate fetch writes
        print(f"{subj:16} {len(t):3} msgs  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
