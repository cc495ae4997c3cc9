"""What the replays find, claim by claim, beyond each claim's own verdict: how far a replay bears
on its claim (claim_fits: direct, general, unrelated), over the whole thread, and what the thread's
findings are (thread_findings: each claim's finding, the counts, why the rest cannot be judged,
whether the variants' change impact bears on the thread). The report lays them out
(hookdebate.report.data); linking and judging one claim is analysis.link's."""
from __future__ import annotations

from dataclasses import dataclass

from analysis.link import load_rules, operation_family


@dataclass(frozen=True)
class ClaimFits:
    fit: dict              # claim id -> "direct" | "general" | "unrelated" | None (nothing replayed)
    families: frozenset    # operation families of the scenarios the direct fits replay (None: no op)
    on_topic: bool         # some claim names the operation its replay is about


def claim_fits(analysis, linked) -> ClaimFits:
    """How far a replay bears on a claim. "direct": the claim names the operation the scenario
    replays. "general": it names none, and the replay answers the link rule's general question
    with a stand-in scenario; that stands only where the thread's own claims are about what the
    stand-in replays: at least 5 claims, and a quarter of those replayed, name a modeled operation
    (the embedded thread: 83 of 217), and the stand-in's operation is of the same family as one
    of theirs (operation_family). Otherwise (a user namespace thread answered with a bpf() call,
    an IMA or xattr thread...) it is "unrelated" and its verdict is withheld from the findings."""
    fit: dict = {}
    family: dict = {}      # claim id -> the family of the operation its first verdict replays
    for c in analysis.claims:
        link = linked.link(c.claim_id) if linked else None
        if link and link.verdicts:
            v = link.verdicts[0]
            family[c.claim_id] = operation_family(linked.scenarios.get(v.scenario_id, (None, None))[1])
            fit[c.claim_id] = "direct" if v.fit == "direct" else "general"
        else:
            fit[c.claim_id] = None
    fits = [fit[c.claim_id] for c in analysis.claims]
    direct = sum(f == "direct" for f in fits)
    general = sum(f == "general" for f in fits)
    stand_ins_ok = direct >= 5 and direct >= 0.25 * (direct + general)
    families = frozenset(family[c.claim_id] for c in analysis.claims if fit[c.claim_id] == "direct")
    for c in analysis.claims:
        if fit[c.claim_id] == "general" and not (stand_ins_ok and family[c.claim_id] in families):
            fit[c.claim_id] = "unrelated"
    return ClaimFits(fit, families, direct > 0)


def verdict_word(s) -> str:
    """A verdict's supports_claim in words (True, False, None)."""
    return "supports" if s is True else "contradicts" if s is False else "cannot judge"


UNRELATED = ("verdict set aside: the claim names no operation the model replays, and the stand-in scenario "
             "replayed for it is about an operation the thread's own claims do not discuss")


@dataclass(frozen=True)
class Findings:
    fits: ClaimFits
    verdict: dict            # claim id -> its first verdict in words (verdict_word), None without one
    finding: dict            # claim id -> that verdict where it is a finding (a direct or stand-in fit), else None
    supports: int            # findings that support their claim
    contradicts: int         # findings that contradict theirs
    replayed: int            # claims replayed in a direct or stand-in fit
    direct: int
    stand_in: int
    unrelated: int           # claims whose stand-in replay is set aside (UNRELATED)
    subjects: tuple          # the subjects (rules.json "subjects") of the direct fits' operations, sorted
    cannot_judge: tuple      # (reason, claims) of the semantic claims without a finding, first seen first
    variants_bear: bool      # the thread's direct fits replay the subject the variants compare

    def to_json(self) -> dict:
        """The report's "findings"."""
        return {"supports": self.supports, "contradicts": self.contradicts, "replayed": self.replayed,
                "direct": self.direct, "stand_in": self.stand_in, "unrelated": self.unrelated,
                "on_topic": self.fits.on_topic, "subjects": list(self.subjects)}


def thread_findings(analysis, linked, rules: dict | None = None) -> Findings:
    """Each claim's finding and the thread's counts. A semantic claim without one cannot be judged
    for the reason its verdict gives (up to its first ';' or ':'), or why no scenario was built, or
    UNRELATED. The modeled variants were written to compare one subject (rules.json subjects
    "variants_compare": bpf(), the proposal, the token): their change impact bears on a thread only
    where its own claims' direct replays are of that subject. rules: the link rules (load_rules())."""
    fits = claim_fits(analysis, linked)
    verdict, finding, cannot = {}, {}, {}
    for c in analysis.claims:
        link = linked.link(c.claim_id) if linked else None
        v = verdict_word(link.verdicts[0].supports_claim) if link and link.verdicts else None
        fit = fits.fit[c.claim_id]
        verdict[c.claim_id] = v
        finding[c.claim_id] = v if fit in ("direct", "general") else None
        if fit == "unrelated":
            reason = UNRELATED
        elif link and link.semantic and v == "cannot judge":
            reason = link.verdicts[0].reason.split(";")[0].split(":")[0]
        elif link and link.semantic and not link.verdicts:
            reason = link.unjudged_reason
        else:
            continue
        cannot[reason] = cannot.get(reason, 0) + 1
    ids = [c.claim_id for c in analysis.claims]
    count = lambda d, x: sum(d[i] == x for i in ids)  # noqa: E731
    return Findings(
        fits=fits, verdict=verdict, finding=finding,
        supports=count(finding, "supports"), contradicts=count(finding, "contradicts"),
        replayed=sum(fits.fit[i] in ("direct", "general") for i in ids), direct=count(fits.fit, "direct"),
        stand_in=count(fits.fit, "general"), unrelated=count(fits.fit, "unrelated"),
        subjects=tuple(sorted(x for x in fits.families if x)), cannot_judge=tuple(cannot.items()),
        variants_bear=(rules or load_rules())["subjects"]["variants_compare"] in fits.families)
