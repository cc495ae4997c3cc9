"""Report stage: speed of building the report, and how much of the debate the model can judge.

Speed (the embedded 52-message thread): building the Markdown and the HTML report from a
ThreadAnalysis (link claims -> scenarios -> verdicts, the catalog change-impact table, the
v6.3 -> proposal variant diff, the report dict, rendering; HTML adds the two SVG pictures), best of
--repeat runs, each with its ratio against the anchor measured in the same run: `analyze()` of the
same thread alone (the analysis step, spaCy already loaded). The variant diff is timed uncached
(as on a fresh database); `hookdebate report` caches it in the store. The CLI is timed too, in
this process: on a fresh database (ingest + analysis + diff) and again with the store's caches.

Coverage: claims citing kernel semantics, how many got a scenario and a verdict, and the verdicts
(supports / contradicts / cannot judge, with the cannot-judge reasons); explicit participant-raised
scenarios detected against the 52 of the development annotation (tests/gold-authoritative-hooks.json,
matched per message: min(detected, annotated) summed over messages). With --baseline REV, the same
coverage numbers for analysis/link.py and data/link/rules.json as of git revision REV (same
analysis), so a change to the linking is measured before/after in one run.

    .venv/bin/python bench/bench_report.py [--repeat 3] [--baseline REV | --no-baseline]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze  # noqa: E402
from scraper import iter_mbox  # noqa: E402

THREAD = ROOT / "data" / "threads" / "authoritative-hooks.mbox"
SECOND = ROOT / "tests" / "data" / "bpf-map-loophole-2022.mbox"
USERNS = ROOT / "tests" / "data" / "create-user-ns-v5-nack.mbox"   # a thread about another subject
GOLD = ROOT / "tests" / "gold-authoritative-hooks.json"
BASELINE = "b5bdae6"  # linking before the explicit-scenario / cannot-judge work


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _report_steps(a, fmt: str):
    from analysis.impact import change_impact, variant_diff
    from analysis.link import link_claims, proposal_kernel_for
    from hookdebate.report import build, render_html, render_markdown

    times: dict[str, float] = {}

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        times[name] = times.get(name, 0.0) + time.perf_counter() - t
        return out

    linked = step("link claims", lambda: link_claims(a))
    impact = step("catalog change impact", change_impact)
    to = proposal_kernel_for(a)
    vd = step("variant diff (semantics.diff)", lambda: variant_diff(linked.kernel, to) if to else None)
    rep = step("report dict", lambda: build(a, linked, impact, variant_diff=vd))
    if fmt == "md":
        step("render markdown", lambda: render_markdown(rep, {}))
    else:
        from hookdebate.report import pictures as P

        pics = step("pictures (SVG, hookdebate.report.svg)", lambda: {"argument-map": P.argument_map(rep), "timeline": P.timeline(rep)})
        step("render html", lambda: render_html(rep, pics))
    return times


def _speed(a, repeat: int) -> None:
    t_an, _ = _best(lambda: analyze(a.messages), repeat)
    print(f"anchor: analyze() of the thread alone: {t_an:.3f}s (best of {repeat})")
    _cli(t_an)
    _report_steps(a, "html")  # warm-up: imports, kernel data
    for fmt in ("md", "html"):
        runs = [_report_steps(a, fmt) for _ in range(repeat)]
        total = min(sum(r.values()) for r in runs)
        best = min(runs, key=lambda r: sum(r.values()))
        print(f"report {fmt:4s}: {total:.3f}s  = {total / t_an:.2f}x the analysis step   ("
              + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in best.items()) + ")")


def _cli(t_an: float) -> None:
    """`hookdebate report` in this process on a fresh database (ingest, analysis, diff all computed
    and stored), then again (analysis and variant diff come from the store's cache)."""
    import contextlib
    import io
    import os

    from hookdebate.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HOOKDEBATE_DB"] = str(Path(tmp) / "bench.db")
        for label, fmt in (("fresh database", "md"), ("cached", "md"), ("cached", "html")):
            out = Path(tmp) / f"r.{fmt}"
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                rc = cli(["report", "-o", str(out)])
            el = time.perf_counter() - t
            if rc != 0:
                raise SystemExit(f"hookdebate report failed ({rc})")
            print(f"hookdebate report -o r.{fmt:4s} ({label}): {el:.3f}s = {el / t_an:.2f}x the analysis step")


def _load_link_module(rev: str | None):
    """analysis.link as of git revision rev (None: the working tree), and its rules file."""
    if rev is None:
        import analysis.link as L

        return L, None
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    for src, dst in (("analysis/link.py", "link_baseline.py"), ("data/link/rules.json", "rules.json")):
        text = subprocess.run(["git", "show", f"{rev}:{src}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        (tmp / dst).write_text(text)
    spec = importlib.util.spec_from_file_location("link_baseline", tmp / "link_baseline.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["link_baseline"] = mod
    spec.loader.exec_module(mod)
    return mod, str(tmp / "rules.json")


def coverage(a, L, rules_path, gold=None) -> dict:
    r = L.link_claims(a, rules_path) if rules_path else L.link_claims(a)
    s = r.summary()
    reasons = Counter()
    for x in r.links:
        if x.semantic and x.verdicts and x.verdicts[0].supports_claim is None:
            reasons[x.verdicts[0].reason.split(";")[0].split(":")[0]] += 1
        elif x.semantic and not x.verdicts:
            reasons[x.unjudged_reason] += 1
    out = {**s, "cannot_judge_reasons": dict(reasons)}
    if gold is not None:
        msg_of = {c.claim_id: c.message_id for c in a.claims}
        det = Counter(msg_of[x.claim_id] for x in r.links if x.explicit)
        want = Counter({m["message_id"]: len(m.get("scenarios", [])) for m in gold["messages"]})
        hit = sum(min(det[m], want[m]) for m in set(det) | set(want))
        n_det, n_gold = sum(det.values()), sum(want.values())
        out["explicit"] = {"detected": n_det, "gold": n_gold, "matched": hit,
                           "recall": round(hit / n_gold, 3) if n_gold else 0.0,
                           "precision": round(hit / n_det, 3) if n_det else 0.0}
    return out


def _print_cov(label: str, c: dict) -> None:
    print(f"  {label}: {c['semantic_claims']} of {c['claims']} claims cite semantics; {c['with_verdict']} with a verdict "
          f"({c['share_with_verdict']:.1%}): supports {c['supports']}, contradicts {c['contradicts']}, "
          f"cannot judge {c['cannot_judge']}")
    for reason, n in sorted(c["cannot_judge_reasons"].items(), key=lambda kv: -kv[1]):
        print(f"      {n:3d}  {reason}")
    if "explicit" in c:
        e = c["explicit"]
        print(f"    explicit scenarios: {e['detected']} detected ({c['explicit_scenarios']} of them on semantic claims), "
              f"{e['matched']} of {e['gold']} annotated matched "
              f"(recall {e['recall']:.3f}, precision {e['precision']:.3f})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default=BASELINE, help=f"git revision to compare the linking with (default {BASELINE})")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()

    from analysis.nlp import get_nlp

    get_nlp()
    a = analyze(list(iter_mbox(THREAD)))
    a2 = analyze(list(iter_mbox(SECOND)))
    a3 = analyze(list(iter_mbox(USERNS)))
    gold = json.loads(GOLD.read_text())

    print("== speed: building the report on the embedded thread (52 messages)")
    _speed(a, args.repeat)

    print("\n== coverage: claims linked to the kernel model")
    revs = [("after (working tree)", None)]
    if not args.no_baseline:
        revs.insert(0, (f"before ({args.baseline})", args.baseline))
    for label, rev in revs:
        L, rules = _load_link_module(rev)
        print(f"{label}")
        _print_cov("embedded thread", coverage(a, L, rules, gold))
        _print_cov("2022 thread (bpf-map-loophole)", coverage(a2, L, rules))
        _print_cov("2022 thread (security_create_user_ns v5; link level: bpf() stand-ins included)", coverage(a3, L, rules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
