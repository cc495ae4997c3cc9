"""Stance toward the thread's proposal: each message's, each person's, and the one rule
that calls a person "mixed".

Two readers of a message share one interface:

- the rules: the cue-mass reading in analysis.pipeline (`_reply_stance`), hand-written
  and kept as the baseline (`analyze(..., stance="rules")`) and as input to the model;
- the learned model: a multinomial logistic regression over what the analysis already
  computed for the message (the rules' reading, cue hits by side and kind, negation,
  hedges, trailers in the writer's own new text, whom the message answers, quoted vs new
  text) plus the words of the message's own new text. `make train` fits it with
  scikit-learn on the annotation corpus (tests/data/annotations) and writes
  data/stance/model.json: feature weights, the person rule's thresholds and the
  "unclear" threshold. Loading it needs neither scikit-learn nor pickle.

A person's stance is `person_stance()` over their messages' probabilities: the proposer
supports, automated senders are neutral, everyone else by the thresholds in the model
file. Below the model's calibrated confidence threshold a person is "unclear" (the report
says so) rather than a guess.
"""
from __future__ import annotations

import json
import itertools
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from analysis.lexicon import data_dir, get_cues
from analysis.model import STANCES
from analysis.screen import group, lowered, search

MODEL_FORMAT = "hookdebate-stance/1"
_TOKEN = re.compile(r"[a-z][a-z0-9_'+-]*[a-z0-9]|[a-z]|[!?]")


def default_model_path() -> Path:
    return data_dir() / "stance" / "model.json"


# -- features ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageContext:
    """What the analysis knows about one message, as the stance model reads it."""

    text: str  # the writer's own new text (no quotes, attributions, trailers, diffs, signatures)
    sentences: tuple[str, ...]
    rule_stance: str
    rule_confidence: float
    hits: tuple[tuple[str, str, float, bool], ...] = ()  # (side, kind, weight, negated)
    hit_targets: tuple[str, ...] = ()  # whom each hit's block answers: proposer, other, self, none
    own_support_trailers: int = 0
    own_attack_trailers: int = 0
    is_proposer: bool = False
    is_automated: bool = False
    is_root: bool = False
    answers_proposer: bool = False
    answers_series: bool = False
    answers_code: bool = False
    in_review: bool = False
    quotes: int = 0  # quoted blocks the message answers
    subject_patch: bool = False  # the message is itself a patch posting
    subject_pull: bool = False
    hedged: int = 0  # sentences with a hedge cue
    conditional: int = 0  # sentences that open with if/unless/when
    rule_person_stance: str = "neutral"  # where the rules put the writer over the whole thread


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


_HEAD = 100_000


def text_features(text: str, max_tokens: int = 600) -> dict[str, float]:
    """Binary unigrams and bigrams of a text (the first max_tokens tokens)."""
    # the first max_tokens tokens without lower-casing and splitting all of a 10 MB body
    head = text[:_HEAD].lower()
    found = list(itertools.islice(_TOKEN.finditer(head), max_tokens))
    if len(text) > _HEAD and (len(found) < max_tokens or found[-1].end() >= len(head)):
        toks = tokens(text)[:max_tokens]  # the head did not hold them all (or cut the last one)
    else:
        toks = [m.group(0) for m in found]
    out: dict[str, float] = {}
    for i, t in enumerate(toks):
        out["w:" + t] = 1.0
        if i:
            out["b:" + toks[i - 1] + "_" + t] = 1.0
    return out


def message_features(c: MessageContext) -> dict[str, float]:
    f: dict[str, float] = {"bias:1": 1.0, "rule:" + c.rule_stance: 1.0, "rule_conf": c.rule_confidence,
                           "rule_person:" + c.rule_person_stance: 1.0}
    targets = c.hit_targets or ("none",) * len(c.hits)
    for (side, kind, weight, negated), to in zip(c.hits, targets):
        k = f"hit:{side}:{kind}"
        f[k] = f.get(k, 0.0) + weight
        # "this is wrong" said to the proposer opposes; said to an objector it may defend
        k = f"hitto:{side}:{to}"
        f[k] = f.get(k, 0.0) + weight
        if negated:
            f["hitneg:" + side] = f.get("hitneg:" + side, 0.0) + 1.0
    for k in list(f):
        if k.startswith(("hit:", "hitto:", "hitneg:")):
            f[k] = math.log1p(f[k])
    flags = {
        "ctx:proposer": c.is_proposer, "ctx:automated": c.is_automated, "ctx:root": c.is_root,
        "ctx:answers_proposer": c.answers_proposer, "ctx:answers_series": c.answers_series,
        "ctx:answers_code": c.answers_code, "ctx:in_review": c.in_review, "ctx:no_quote": c.quotes == 0,
        "ctx:patch_posting": c.subject_patch, "ctx:pull": c.subject_pull,
        "ctx:own_ack": c.own_support_trailers > 0, "ctx:own_nack": c.own_attack_trailers > 0,
        "ctx:no_text": not c.text.strip(),
    }
    f.update({k: 1.0 for k, v in flags.items() if v})
    n = max(1, len(c.sentences))
    words = len(c.text.split())
    f["len:log_words"] = math.log1p(words) / 5.0
    f["len:short"] = 1.0 if words <= 25 else 0.0
    f["share:question"] = sum(s.rstrip().endswith("?") for s in c.sentences) / n
    f["share:hedge"] = c.hedged / n
    f["share:conditional"] = c.conditional / n
    f.update(evaluative_features(c.sentences))
    f.update(text_features(c.text))
    return f


def evaluative_features(sentences) -> dict[str, float]:
    """How many sentences judge positively or negatively (data/lexicon/cues.toml
    [evaluative]); a negation in the few words before a term flips it."""
    cues = get_cues()
    neg_rx = cues["evaluative_negation"]
    pos = neg = 0
    words = (("positive", cues["evaluative"]["positive"]), ("negative", cues["evaluative"]["negative"]))
    screen = group(*(rxs for _side, rxs in words))
    for s in sentences:
        may = screen.candidates(s, lowered(s))
        for side, rxs in words:
            for rx in rxs:
                m = rx.search(s) if rx in may else None
                if not m:
                    continue
                flipped = bool(neg_rx.search(" ".join(s[:m.start()].split()[-3:])))
                if (side == "positive") != flipped:
                    pos += 1
                else:
                    neg += 1
                break
    out = {}
    if pos:
        out["eval:positive"] = math.log1p(pos)
    if neg:
        out["eval:negative"] = math.log1p(neg)
    if pos and neg:
        out["eval:both"] = 1.0
    return out


# -- the model --------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic regression as data: one weight per feature and class."""

    classes: tuple[str, ...]
    weights: Mapping[str, tuple[float, ...]]  # feature -> one weight per class
    intercept: tuple[float, ...]

    def scores(self, feats: Mapping[str, float]) -> list[float]:
        z = list(self.intercept)
        for k, v in feats.items():
            w = self.weights.get(k)
            if w is not None:
                for i, wi in enumerate(w):
                    z[i] += wi * v
        return z

    def predict(self, feats: Mapping[str, float]) -> dict[str, float]:
        z = self.scores(feats)
        top = max(z)
        e = [math.exp(x - top) for x in z]
        s = sum(e)
        return {c: ei / s for c, ei in zip(self.classes, e)}

    def lean(self, feats: Mapping[str, float], stance: str) -> float:
        """How far these features push toward `stance` against the other classes."""
        if stance not in self.classes:
            return 0.0
        i = self.classes.index(stance)
        total = 0.0
        for k, v in feats.items():
            w = self.weights.get(k)
            if w is not None:
                total += (w[i] - sum(w) / len(w)) * v
        return total

    def to_json(self) -> dict:
        return {"classes": list(self.classes), "intercept": [round(x, 6) for x in self.intercept],
                "weights": {k: [round(x, 5) for x in v] for k, v in sorted(self.weights.items())}}

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        classes = tuple(data["classes"])
        weights = {str(k): tuple(float(x) for x in v) for k, v in data["weights"].items()}
        intercept = tuple(float(x) for x in data["intercept"])
        if len(intercept) != len(classes) or any(len(v) != len(classes) for v in weights.values()):
            raise ValueError("stance model: a weight row does not match the classes")
        return cls(classes, weights, intercept)


@dataclass(frozen=True)
class StanceModel:
    """The message model, the person model (over a person's message probabilities and the
    rules' reading of them), and the confidence below which a person is "unclear"."""

    message: LinearModel
    person: LinearModel | None = None
    unclear: float = 0.0
    meta: Mapping = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"format": MODEL_FORMAT, "message": self.message.to_json(),
                "person": self.person.to_json() if self.person else None, "unclear": self.unclear,
                "meta": dict(self.meta)}

    @classmethod
    def from_json(cls, data: dict) -> "StanceModel":
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a {MODEL_FORMAT} stance model")
        person = LinearModel.from_json(data["person"]) if data.get("person") else None
        return cls(LinearModel.from_json(data["message"]), person, float(data.get("unclear", 0.0)),
                   data.get("meta", {}))


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> StanceModel | None:
    """The trained model (data/stance/model.json), or None when there is none."""
    p = Path(path) if path else default_model_path()
    if not p.is_file():
        return None
    return StanceModel.from_json(json.loads(p.read_text()))


# -- decisions --------------------------------------------------------------------------

def message_stance(model: StanceModel, c: MessageContext) -> tuple[str, float, dict[str, float]]:
    """(stance, confidence, probabilities) of one message. The proposer supports their own
    series and a robot takes no side, whatever the words say (the convention)."""
    if c.is_automated:
        return "neutral", 0.95, {"neutral": 1.0}
    if c.is_proposer:
        return "support", 0.95, {"support": 1.0}
    probs = model.message.predict(message_features(c))
    stance = max(probs, key=probs.get)
    return stance, round(probs[stance], 3), probs


def person_features(probs: Sequence[Mapping[str, float]], rule_stance: str) -> dict[str, float]:
    """What the person model reads: the mean of the person's message probabilities, how
    many messages they wrote and where the rules put them over the thread. (The max, the
    summed probabilities, the share of decided messages and a both-sides feature were read
    too until they were measured: collinear with the mean, they let the person model pick a
    side none of the person's messages leant to. Without them per-person accuracy is the
    same within the fold noise: 0.851 -> 0.855 on bench/bench_stance.py's folds, 0.850 ->
    0.846 averaged over four random fold assignments.)"""
    n = max(1, len(probs))
    f: dict[str, float] = {"bias:1": 1.0, "rules:" + rule_stance: 1.0, "messages:log": math.log1p(len(probs))}
    for k in STANCES:
        f["mean:" + k] = sum(p.get(k, 0.0) for p in probs) / n
    return f


def person_stance(model: StanceModel, probs: Sequence[Mapping[str, float]], rule_stance: str, *,
                  is_proposer: bool = False, is_automated: bool = False) -> tuple[str, float]:
    """One person's stance over their messages, and how sure: the only place a person's
    side, "mixed" included, is decided. The proposer supports; a robot is neutral."""
    if is_automated:
        return "neutral", 0.95
    if is_proposer:
        return "support", 0.95
    if not probs:
        return "neutral", 0.5
    if model.person is None:  # a message model alone: the side most of the probability takes
        total = {k: sum(p.get(k, 0.0) for p in probs) / len(probs) for k in STANCES}
    else:
        total = model.person.predict(person_features(probs, rule_stance))
    stance = max(total, key=total.get)
    return stance, round(total[stance], 3)


# -- evidence ---------------------------------------------------------------------------

def quotable(sentence: str) -> bool:
    """Could a journalist quote this sentence as someone's position? Not a mail client's
    attribution line, a bare assent ("Yes."), a URL, a greeting or a work-in-progress
    banner (patterns: data/lexicon/cues.toml [not_evidence])."""
    t = " ".join(sentence.split())
    cues = get_cues()
    low = lowered(t)
    if len(re.findall(r"[A-Za-z]{2,}", t)) < 3:
        # "NAK." states a position; "Yes." alone does not say to what
        return any(search(rx, t, low) for side in ("attack", "support") for rx in cues[side]["stance"])
    return not any(search(rx, t, low) for rx in cues["not_evidence"])


def sentence_features(sentence: str) -> dict[str, float]:
    """The features of one sentence alone that the message model also reads (cue hits by
    side and kind, evaluative words, its words), to show which sentences carried a decision."""
    cues = get_cues()
    f: dict[str, float] = {}
    low = lowered(sentence)
    for side in ("attack", "support"):
        for kind in ("stance", "strong", "weak"):
            if any(search(rx, sentence, low) for rx in cues[side][kind]):
                f[f"hit:{side}:{kind}"] = math.log1p(1.0)
    f.update(evaluative_features([sentence]))
    f.update(text_features(sentence))
    return f


def rank_evidence(model: StanceModel, sentences: Iterable[str], stance: str, k: int = 2) -> list[str]:
    """The sentences that pushed the model hardest toward `stance`, strongest first."""
    scored = [(model.message.lean(sentence_features(s), stance), i, s) for i, s in enumerate(sentences) if quotable(s)]
    scored = [x for x in scored if x[0] > 0]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [s for _, _, s in scored[:k]]
