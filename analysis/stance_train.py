"""Train the stance model (analysis.stance) on the annotation corpus, and cross-validate it.

    python -m analysis.stance_train [-o data/stance/model.json]      # what `make train` runs

Deterministic: the corpus is read in a fixed order, scikit-learn's lbfgs solver has no
randomness, folds are assigned by a hash-free sort of series keys. Tunables live in
data/stance/train.toml. scikit-learn is needed here only (extra `train`); the model it
writes is plain JSON that analysis.stance reads without it.
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.corpus import Annotation, annotations, match_person, series_key
from analysis.lexicon import data_dir
from analysis.stance import (LinearModel, MessageContext, StanceModel, message_features, message_stance,
                             person_features, person_stance)


def config(path: Path | None = None) -> dict:
    return tomllib.loads((path or data_dir() / "stance" / "train.toml").read_text())


@dataclass
class ThreadData:
    """One annotated thread, analyzed once by the rules: everything training and scoring need."""

    ann: Annotation
    group: str
    analysis: object  # ThreadAnalysis (rules reader)
    contexts: dict[str, MessageContext]
    words: int

    def examples(self) -> list[tuple[dict, str]]:
        """(features, label) of each scored message the model decides (not the proposer's,
        not a robot's: those are fixed by the convention)."""
        labels = self.ann.message_labels()
        out = []
        for mid, lab in labels.items():
            c = self.contexts.get(mid)
            if c is not None and not c.is_proposer and not c.is_automated:
                out.append((message_features(c), lab))
        return out


def load_threads(anns: list[Annotation]) -> list[ThreadData]:
    from analysis.pipeline import analyze_with_contexts
    from scraper import iter_mbox

    out = []
    for ann in anns:
        msgs = list(iter_mbox(ann.mbox))
        a, ctx = analyze_with_contexts(msgs, stance="rules")
        out.append(ThreadData(ann, series_key(a.subject), a, ctx, sum(len(m.body.split()) for m in msgs)))
    return out


# -- fitting ---------------------------------------------------------------------------

def fit_linear(xs: list[dict], ys: list[str], c: float, class_weight=None, prune: float = 0.0) -> LinearModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sparse=True)
    x = vec.fit_transform(xs)
    clf = LogisticRegression(C=c, class_weight=class_weight or None, max_iter=5000)
    clf.fit(x, ys)
    classes = tuple(str(k) for k in clf.classes_)
    coef, intercept = clf.coef_, tuple(float(b) for b in clf.intercept_)
    if len(classes) == 2:  # sklearn keeps one row for two classes: make it one row per class
        coef = [-coef[0] / 2, coef[0] / 2]
        intercept = (-intercept[0] / 2, intercept[0] / 2)
    weights = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        row = tuple(float(coef[i][j]) for i in range(len(classes)))
        if max(abs(w) for w in row) >= prune:
            weights[str(name)] = row
    return LinearModel(classes, weights, intercept)


def fit_messages(examples: list[tuple[dict, str]], cfg: dict) -> StanceModel:
    """The message model alone (no person model yet)."""
    mc = cfg["model"]
    counts: dict[str, int] = defaultdict(int)
    for f, _ in examples:
        for k in f:
            counts[k] += 1

    def keep(k: str) -> bool:
        if k.startswith(("w:", "b:")):
            return mc["words"] and counts[k] >= mc["min_count"]
        return True

    xs = [{k: v for k, v in f.items() if keep(k)} for f, _ in examples]
    model = fit_linear(xs, [y for _, y in examples], mc["C"], mc.get("class_weight"), mc.get("prune", 0.0))
    return StanceModel(model, None, 0.0, {"messages": len(examples)})


def folds(threads: list[ThreadData], k: int) -> list[list[int]]:
    """k folds of thread indices; all threads of one series in one fold; balanced by size."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(threads):
        groups[t.group].append(i)
    order = sorted(groups.values(), key=lambda ix: (-sum(len(threads[i].ann.messages) + 1 for i in ix),
                                                    threads[ix[0]].group))
    out: list[list[int]] = [[] for _ in range(k)]
    load = [0] * k
    for ix in order:
        j = min(range(k), key=lambda f: (load[f], f))
        out[j].extend(ix)
        load[j] += sum(len(threads[i].ann.messages) + 1 for i in ix)
    return [sorted(f) for f in out]


def probabilities(model: StanceModel, t: ThreadData) -> dict[str, dict]:
    return {mid: message_stance(model, c)[2] for mid, c in t.contexts.items()}


def people_of(t: ThreadData) -> list[tuple[dict, object, list[str]]]:
    """(annotated person, predicted Position or None, their message ids) of each scored person."""
    a = t.analysis
    by_person: dict[str, list[str]] = defaultdict(list)
    for mid, pid in a.author_of.items():
        by_person[pid].append(mid)
    out = []
    for gp in t.ann.people:
        if gp.get("ambiguous") or gp.get("bot"):
            continue
        pred = match_person(gp, a.positions, a.author_of)
        out.append((gp, pred, by_person[pred.person_id] if pred else []))
    return out


def person_rows(t: ThreadData, probs_of: dict[str, dict], model: StanceModel) -> list[dict]:
    """Each scored annotated person of a thread: gold, the rules' stance, the model's."""
    rows = []
    for gp, pred, mids in people_of(t):
        if pred is None:
            rows.append({"thread": t.ann.thread, "name": gp["name"], "gold": gp["stance"], "rules": "missing",
                         "model": "missing", "confidence": 0.0, "proposer": False})
            continue
        ctx = [t.contexts[m] for m in mids]
        proposer = any(c.is_proposer for c in ctx)
        stance, conf = person_stance(model, [probs_of[m] for m in mids], pred.stance, is_proposer=proposer,
                                     is_automated=any(c.is_automated for c in ctx))
        rows.append({"thread": t.ann.thread, "name": gp["name"], "gold": gp["stance"], "rules": pred.stance,
                     "model": stance, "confidence": conf, "proposer": proposer})
    return rows


def fit_people(threads: list[ThreadData], probs: list[dict], cfg: dict) -> LinearModel:
    """The person model, from message probabilities given without having seen the thread."""
    xs, ys = [], []
    for t, p in zip(threads, probs):
        for gp, pred, mids in people_of(t):
            if pred is None or any(t.contexts[m].is_proposer or t.contexts[m].is_automated for m in mids):
                continue
            xs.append(person_features([p[m] for m in mids], pred.stance))
            ys.append(gp["stance"])
    return fit_linear(xs, ys, cfg["person"]["C"])


def unclear_threshold(rows: list[dict], cfg: dict) -> float:
    """The confidence below which person readings were right less often than
    `cfg['person']['unclear_accuracy']`: below it the report says "unclear"."""
    want = cfg["person"]["unclear_accuracy"]
    decided = [r for r in rows if not r.get("proposer") and r["model"] != "neutral"]
    best = 0.0
    for cut in cfg["person"]["unclear_grid"]:
        below = [r for r in decided if r["confidence"] < cut]
        if len(below) >= 3 and sum(r["model"] == r["gold"] for r in below) / len(below) < want:
            best = cut
    return best


def out_of_fold(threads: list[ThreadData], cfg: dict, k: int) -> list[dict]:
    """Each thread's message probabilities from a message model fitted without its fold."""
    probs: list[dict] = [{} for _ in threads]
    for test in folds(threads, k):
        held = set(test)
        model = fit_messages([e for i, t in enumerate(threads) if i not in held for e in t.examples()], cfg)
        for i in test:
            probs[i] = probabilities(model, threads[i])
    return probs


def train(threads: list[ThreadData], cfg: dict) -> StanceModel:
    """The model for these threads: message weights from all of them; the person model and
    the unclear threshold from inner out-of-fold message probabilities (the person model
    must learn from probabilities like those it will see on a new thread, not in-sample ones)."""
    model = fit_messages([e for t in threads for e in t.examples()], cfg)
    inner = out_of_fold(threads, cfg, cfg["cv"]["inner_folds"])
    model = replace(model, person=fit_people(threads, inner, cfg))
    rows = [r for t, p in zip(threads, inner) for r in person_rows(t, p, model)]
    return replace(model, unclear=unclear_threshold(rows, cfg),
                   meta={**model.meta, "threads": len(threads), "people": len(rows)})


def read_with(model: StanceModel, t: ThreadData, **tag) -> tuple[list[dict], list[dict]]:
    """One annotated thread read by `model` and by the rules: its scored message rows and
    person rows (the person's shown stance is "unclear" below the model's threshold)."""
    msg_rows, ppl_rows = [], []
    probs = probabilities(model, t)
    rules = {s.message_id: s.stance for s in t.analysis.message_stances}
    for mid, lab in t.ann.message_labels().items():
        if mid not in t.contexts:
            continue
        c = t.contexts[mid]
        msg_rows.append({"thread": t.ann.thread, **tag, "gold": lab, "rules": rules[mid],
                         "model": message_stance(model, c)[0], "proposer": c.is_proposer})
    for r in person_rows(t, probs, model):
        unclear = r["model"] != "neutral" and not r["proposer"] and r["confidence"] < model.unclear
        r["shown"] = "unclear" if unclear else r["model"]
        ppl_rows.append({**r, **tag})
    return msg_rows, ppl_rows


def cross_validate(threads: list[ThreadData], cfg: dict) -> dict:
    """Thread-grouped k-fold: for each fold, train() on the others (inner CV included),
    then read the fold's messages and people with that model and with the rules."""
    msg_rows, ppl_rows = [], []
    for f, test in enumerate(folds(threads, cfg["cv"]["folds"])):
        held = set(test)
        model = train([t for i, t in enumerate(threads) if i not in held], cfg)
        for i in test:
            m, p = read_with(model, threads[i], fold=f)
            msg_rows += m
            ppl_rows += p
    return {"messages": msg_rows, "people": ppl_rows}


def first_sight(model: StanceModel, threads: list[ThreadData]) -> dict:
    """The shipped model on threads drawn and read after it was trained (never trained on,
    never used to write a rule): the figure a new debate gets."""
    msg_rows, ppl_rows = [], []
    for t in threads:
        m, p = read_with(model, t)
        msg_rows += m
        ppl_rows += p
    return {"messages": msg_rows, "people": ppl_rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis.stance_train", description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default=str(data_dir() / "stance" / "model.json"))
    args = ap.parse_args(argv)
    cfg = config()
    threads = load_threads(annotations("first"))
    model = train(threads, cfg)
    Path(args.output).write_text(json.dumps(model.to_json(), separators=(",", ":"), sort_keys=True) + "\n")
    print(f"stance model: {len(model.message.weights)} message features from {model.meta['messages']} messages, "
          f"{len(model.person.weights)} person features from {model.meta['people']} people, "
          f"{len(threads)} threads; unclear below {model.unclear} -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
