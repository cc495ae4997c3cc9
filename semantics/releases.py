"""Mainline releases by date, as data (data/kernels/releases.json).

Which modeled variant, if any, holds for the kernel of a given day: the release in
development on that day (the first release dated on or after it: mainline and -next
carry its code), or, failing a variant for that one, the latest release before it.
A release no variant was written for maps to none, with what it would need.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date as _date
from functools import lru_cache

from semantics.errors import ScenarioError
from semantics.kernels import data_dir


@dataclass(frozen=True)
class Release:
    name: str
    date: str                 # ISO date of the release tag
    variant: str | None       # the modeled variant whose rules hold for it
    basis: str = ""           # why that variant holds
    needs: str = ""           # without one: what a variant for it would need
    partial: tuple = ()       # without one: ((variant, calls, basis, hooks_as_in), ...): a variant holding for those
    #                           op.calls only (and for an op naming a hook, only where the hooks_as_in variants
    #                           dispatch it alike: releases.json 'hooks_as_in')


@dataclass(frozen=True)
class KernelChoice:
    variant: str | None       # None: cannot judge (but see partial)
    release: Release | None   # the release judged against (or that lacks a variant)
    note: str                 # one sentence for the report
    partial: tuple = ()       # with variant None: ((variant, calls, basis, hooks_as_in), ...) of the release in development


def _key(name: str) -> tuple:
    return tuple(int(x) for x in name.lstrip("v").split("."))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple:
    raw = json.loads(open(path).read())
    ranges = [(_key(r["first"]), _key(r["last"]), r["needs"]) for r in raw.get("ranges", [])]
    calls = [(_key(r["first"]), _key(r["last"]), (r["variant"], tuple(r["calls"]), r["basis"], tuple(r.get("hooks_as_in", ()))))
             for r in raw.get("calls", [])]
    out = []
    for r in raw["releases"]:
        k = _key(r["release"])
        needs = next((n for a, b, n in ranges if a <= k <= b), "") if not r.get("variant") else ""
        partial = tuple(p for a, b, p in calls if a <= k <= b) if not r.get("variant") else ()
        out.append(Release(r["release"], r["date"], r.get("variant"), r.get("basis", ""), needs, partial))
    if [x.date for x in out] != sorted(x.date for x in out):
        raise ScenarioError(f"{path}: releases are not in date order")
    return tuple(out)


def releases() -> tuple:
    return _load(str(data_dir() / "kernels" / "releases.json"))


def release(name: str) -> Release:
    for r in releases():
        if r.name == name:
            return r
    raise ScenarioError(f"unknown release {name!r} (data/kernels/releases.json lists {releases()[0].name}.."
                        f"{releases()[-1].name})")


def kernel_on(d: _date | None) -> KernelChoice:
    """The variant whose rules hold for the kernel of day d, or none (cannot judge), with why."""
    rs = releases()
    if d is None:
        return KernelChoice(None, None, "cannot judge: the thread has no dates, so no kernel can be chosen")
    iso = d.isoformat()
    dev = next((r for r in rs if r.date >= iso), None)
    last = next((r for r in reversed(rs) if r.date < iso), None)
    if dev is not None and dev.variant:
        when = "released that day" if dev.date == iso else f"in development then, released {dev.date}"
        return KernelChoice(dev.variant, dev, f"dated {iso}: {dev.name} ({when}); model variant {dev.variant}")
    if last is not None and last.variant:
        why = (f"{dev.name}, in development then, has no modeled variant" if dev else
               "no later release is recorded")
        return KernelChoice(last.variant, last, f"dated {iso}: {last.name}, the latest release ({last.date}), "
                                                f"model variant {last.variant} ({why})")
    if dev is None:
        return KernelChoice(None, None, f"cannot judge: no modeled kernel for {iso} (after {rs[-1].name}, "
                                        f"{rs[-1].date}, the last release recorded in data/kernels/releases.json)")
    if last is None:
        return KernelChoice(None, dev, f"cannot judge: no modeled kernel for {dev.name} (dated {iso}, in "
                                       f"development then); it would need {dev.needs}")
    note = (f"cannot judge: no modeled kernel for {dev.name} (dated {iso}: {dev.name} in "
            f"development, {last.name} the latest release); it would need {dev.needs}")
    for variant, calls, *_ in dev.partial:
        note += f"; for {', '.join(calls)} only, the {variant} rules hold (data/kernels/releases.json 'calls')"
    return KernelChoice(None, dev, note, dev.partial)
