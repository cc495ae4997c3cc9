"""What the replays find, claim by claim, beyond each claim's own verdict: how far a replay bears
on its claim (claim_fits: direct, general, unrelated), over the whole thread. The report lays it
out (hookdebate.report.data); linking and judging one claim is analysis.link's."""
from __future__ import annotations

from dataclasses import dataclass

from analysis.link import operation_family


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
