"""The report's section plan: the one list of sections, in order, that the Markdown and the HTML
renderers (markdown.py, html.py) both follow, with each section's title and the data it shows,
taken from the report dict (data.py). A renderer only lays out a section's data: adding a section
is a Section here plus its layout in each renderer (tests/test_report.py checks that every
renderer lays out every section, in this order). The words both formats print (headlines, the
timeline's rows, a verdict's reason) are here too."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from analysis.subjects import REPLY_OR_FORWARD_PREFIX, part_number, without_reply_prefix
from hookdebate.report.data import model_covers, parse_iso, plural, proposal_sentence, utc_iso


@dataclass(frozen=True)
class Section:
    key: str                                   # the renderers' layout for it
    title: str | Callable[[Any], str] | None   # its heading (or one made from its data); None: no heading
    shows: Callable[[dict, Any], Any]          # (report, pictures) -> its data; None leaves it out

    def heading(self, data) -> str | None:
        return self.title(data) if callable(self.title) else self.title


def _same_batch(a: dict, b: dict) -> bool:
    """Two patch mails sent in one go: git send-email posts a series over a minute or two (the
    embedded thread's 8/8 left a minute after 1/8-7/8)."""
    ta, tb = parse_iso(a["date"]), parse_iso(b["date"])
    if ta is None or tb is None:
        return utc_iso(a["date"])[:16] == utc_iso(b["date"])[:16]
    return abs((tb - ta).total_seconds()) <= 600


def timeline_rows(timeline: list[dict]) -> list[dict]:
    """The timeline with each batch of a patch series (one author, sent in one go, '[PATCH n/m]'
    with n >= 1) folded into one row: {"first": entry, "parts": [entries]}; other rows have
    parts == []."""
    rows: list[dict] = []
    for t in timeline:
        part = part_number(t["subject"])
        prev = rows[-1] if rows else None
        if part and prev and prev["parts"] and prev["first"]["author"] == t["author"] \
                and _same_batch(prev["parts"][-1], t):
            prev["parts"].append(t)
        elif part:
            rows.append({"first": t, "parts": [t]})
        else:
            rows.append({"first": t, "parts": []})
    for r in rows:  # a lone patch is an ordinary row
        if len(r["parts"]) == 1:
            r["parts"] = []
    return rows


def subject_text(t: dict, root_subject: str) -> str:
    """A reply's subject, or 'reply' when it only repeats the thread's (30 rows of 'Re: [PATCH v5
    0/4] ...' say nothing)."""
    subj = t["subject"] or ""
    same = without_reply_prefix(subj).strip().lower() == without_reply_prefix(root_subject).strip().lower()
    return "reply" if same and REPLY_OR_FORWARD_PREFIX.match(subj) else subj


def part_label(t: dict) -> str:
    n = part_number(t["subject"])
    return "?" if n is None else str(n)


def utc_minute(d) -> str:
    """A timeline date as '2023-04-12 19:49 UTC'; one past 9999 in UTC as ISO text in its own zone,
    a Date header that did not parse as its raw text."""
    iso = utc_iso(d)
    return f"{iso[:16].replace('T', ' ')} UTC" if iso.endswith("+00:00") else iso


def variant_diff_sentence(d: dict) -> str:
    """The headline of the change-impact summary."""
    by = d["by_direction"]
    return (f"Enumerating the model's bounded configuration space ({d['configurations']:,} configurations: "
            f"capabilities per namespace, the task's namespace, the sysctl, each LSM's return per hook, token "
            f"options, the operation), {d['changed']:,} ({d['share_changed']:.2%}) change outcome from "
            f"{d['from']} to {d['to']}: {by['newly allowed']:,} become allowed that were denied, "
            f"{by['newly denied']:,} become denied that were allowed"
            + (f", {by['changed']:,} change otherwise" if by.get("changed") else "")
            + f". Operations affected: {', '.join(d['operations'])}. "
            + ("(ret=N: a positive LSM return that reaches user space as the syscall's result; the command took its "
                "error path and freed the map or program, so ret=N counts as denied.) "
               if any(g["to_outcome"].startswith("ret=") or g["from_outcome"].startswith("ret=") for g in d["groups"])
               else "") +
            "Each row lists the fewest settings that make the difference (the first few of its minimal condition sets).")


def verdict_reason(v: dict) -> str:
    """The verdict's reason without the replay it restates ('...; model: S under K: EPERM'), which
    the line already shows."""
    what = f"{v['scenario']} under {v['kernel']}: {v['outcome']}"
    r = v["reason"]
    for tail in (f"; model: {what}", f"; replayed for context ({what})", f"; replayed {what}", f" ({what})"):
        r = r.replace(tail, "")
    return r


LIST_CAP = 12  # rows of a claim list shown in Markdown/HTML; the JSON report has them all


def capped(ids: list, claims_by_id: dict, direct_first: bool = False) -> tuple[list, int]:
    """The first LIST_CAP ids (those whose replay is about the claim's own operation first, when
    asked), in thread order, and how many were left out."""
    if direct_first:
        keep = sorted(ids, key=lambda i: claims_by_id[i].get("fit") != "direct")[:LIST_CAP]
        keep = [i for i in ids if i in set(keep)]
    else:
        keep = ids[:LIST_CAP]
    return keep, len(ids) - len(keep)


def more_line(n: int) -> str:
    return f"\u2026 and {n:,} more (all of them are in the JSON report, `--format json`)." if n else ""


FIT_NOTE = {"general": "the claim names no operation the model replays: this replay answers the question above with a "
                       "stand-in scenario, not the claim's own situation"}


def findings_sentence(r: dict) -> str:
    """The key-claims headline."""
    s, f = r["link_summary"], r.get("findings") or {}
    if not s:
        return ""
    if not s["semantic_claims"]:
        return (f"None of the thread's {plural(s['claims'], 'claim')} names a kernel security notion the model "
                f"covers ({model_covers()}), so no claim gets a verdict.")
    if not r.get("kernel"):
        return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} cite kernel semantics, but the model "
                f"cannot judge any: {r['kernel_note']}.")
    if not f.get("on_topic", True):
        return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} name kernel security notions, but none "
                f"is about what the model replays ({model_covers()}), so no claim gets a verdict.")
    n = f.get("direct", f.get("replayed", s["with_verdict"]))
    stand_in = f.get("stand_in", 0)
    return (f"{plural(s['semantic_claims'], 'claim')} of {s['claims']:,} cite kernel semantics; "
            f"{n:,} {'was' if n == 1 else 'were'} replayed in a scenario of the operation {'it names' if n == 1 else 'they name'}: "
            f"the model supports {f.get('supports', s['supports'])}, contradicts "
            f"{f.get('contradicts', s['contradicts'])}, and cannot judge the rest."
            + (f" {plural(stand_in, 'more claim')} named no operation the model replays; "
               f"{'its' if stand_in == 1 else 'their'} stand-in replays are shown for context and are never findings."
               if stand_in else "")
            + (f" {plural(f['unrelated'], 'more claim')} matched only a stand-in scenario about an operation the "
               "thread does not discuss; those verdicts are set aside." if f.get("unrelated") else "")
            + f" Kernel: {r['kernel_note']}.")


def _timeline(r: dict) -> list[dict]:
    """Rows {"first", "parts", "text"}: a series' batch in one row, a reply's subject in words."""
    return [{**row, "text": subject_text(row["first"], r["subject"])} for row in timeline_rows(r["timeline"])]


def _key_claims(r: dict) -> dict:
    """The headline and the key claims, each with its first verdict and whether its trace (same
    kernel, same steps: its trace_id) was shown for an earlier claim."""
    by_id = {c["id"]: c for c in r["claims"]}
    seen: set = set()
    claims = []
    for cid in r["key_claim_ids"]:
        c = by_id[cid]
        tid = c.get("trace_id")
        claims.append({"claim": c, "verdict": c["verdicts"][0] if c["verdicts"] else None,
                       "again": tid is not None and tid in seen})
        seen.add(tid)
    return {"headline": findings_sentence(r) if r["link_summary"] else None, "claims": claims}


def _scenarios(r: dict) -> dict | None:
    if not r["explicit_scenario_claim_ids"]:
        return None
    by_id = {c["id"]: c for c in r["claims"]}
    shown, more = capped(r["explicit_scenario_claim_ids"], by_id, direct_first=True)
    return {"claims": [by_id[cid] for cid in shown], "more": more}


def _cannot_judge(r: dict) -> dict | None:
    if not r["cannot_judge_reasons"]:
        return None
    by_id = {c["id"]: c for c in r["claims"]}
    shown, more = capped(r.get("unlinked_claim_ids", []), by_id)
    return {"reasons": sorted(r["cannot_judge_reasons"].items(), key=lambda kv: -kv[1]),
            "unlinked": [by_id[cid] for cid in shown], "more": more}


def _variant_diff_title(d: dict) -> str:
    return (f"What the proposal changes: {d['from']} \u2192 {d['to']}" if d.get("from") and d.get("to")
            else "What the proposal changes")


def _change_impact(r: dict) -> dict | None:
    rows = r["change_impact"]
    return {"kernels": list(rows[0]["outcomes"]), "rows": rows} if rows else None


SECTIONS = (
    Section("head", None, lambda r, p: r),
    Section("debate", None, lambda r, p: r.get("debate") or None),
    Section("in_brief", None, lambda r, p: r["in_brief"]),
    Section("proposal", "What was proposed", lambda r, p: proposal_sentence(r)),
    Section("positions", "Who argued what", lambda r, p: r["participants"]),
    Section("timeline", "Timeline", lambda r, p: _timeline(r)),
    Section("claims", "Key claims, replayed in the kernel model", lambda r, p: _key_claims(r)),
    Section("scenarios", "Scenarios participants raised", lambda r, p: _scenarios(r)),
    Section("cannot_judge", "What the model cannot judge", lambda r, p: _cannot_judge(r)),
    Section("variant_diff", _variant_diff_title, lambda r, p: r.get("variant_diff") or None),
    Section("change_impact", "Change impact between kernel variants", lambda r, p: _change_impact(r)),
    Section("pictures", "Pictures", lambda r, p: p or None),
    Section("outcome", "Outcome", lambda r, p: r["outcome"]),
)


def layout_table():
    """A renderer's layouts: (table, decorator); @decorator(key) puts a function laying out that
    section's data (a list of lines) in the table."""
    table: dict = {}

    def layout(key: str):
        def put(fn):
            table[key] = fn
            return fn
        return put
    return table, layout


def plan(r: dict, pictures=None, sections=None) -> list[tuple[Section, str | None, Any]]:
    """(section, heading, data) for each section the report shows, in order."""
    out = []
    for s in sections if sections is not None else SECTIONS:
        data = s.shows(r, pictures)
        if data is not None:
            out.append((s, s.heading(data), data))
    return out
