"""One Person per human across addresses and name spellings.

Rules (general, no per-person knowledge):
  * the same address is the same person;
  * the same normalized display name (at least two words, or one word plus an
    initial/title) is the same person: "Doe, Jane", "jane doe"
    and "Jane  Doe (via list)" normalize alike;
  * subaddresses are one mailbox: "bot+abc@x.org" and "bot+def@x.org" are one person;
  * the same local part at the same organization's domain ("jane@linux.ibm.com",
    "jane@linux.vnet.ibm.com") is the same person when the names agree: one name's
    words are all in the other's full name (a first name alone against the full name),
    or one side has no name;
  * a From without a display name takes the name used with that address elsewhere,
    else a name derived from the local part;
  * an optional override file (data/identities/*.toml, see the example there)
    can merge addresses the rules cannot see are one person, split a shared
    address, or set the display name.
The person_id is the person's most used address (lower-cased), ties broken by
first appearance; the name is the most used display spelling.
"""
from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Mapping

from analysis.disjoint import DisjointSets
from analysis.errors import AnalysisError
from analysis.model import Person
from mailrecords import Message

_VIA = re.compile(r"\s+(?:via|on behalf of)\s+.*$", re.I)
_PAREN = re.compile(r"\s*[\(\[][^)\]]*[\)\]]\s*")
_QUOTES = re.compile(r"[\"'`]")


def normalize_address(addr: str) -> str:
    addr = (addr or "").strip().strip("<>").lower()
    return addr


@functools.lru_cache(maxsize=65536)  # pure; the thread index calls it for every message of an archive
def normalize_name(name: str) -> str:
    """A comparison key for display names ('' when the name carries no identity)."""
    if not name:
        return ""
    n = unicodedata.normalize("NFKD", name)
    n = "".join(c for c in n if not unicodedata.combining(c))
    n = _QUOTES.sub("", n).strip()
    if "@" in n:  # the display name is an address
        return ""
    n = _VIA.sub("", n)
    n = _PAREN.sub(" ", n)
    if n.count(",") == 1:  # "Last, First"
        last, first = (p.strip() for p in n.split(","))
        if first and last and " " not in last:
            n = f"{first} {last}"
    n = re.sub(r"[^\w\s.\-]", " ", n.lower())
    n = re.sub(r"\s+", " ", n).strip(" .-")
    return n


def _display_name(names: Counter) -> str:
    """The spelling to show: the most used name (spellings that normalize alike pooled),
    written in display order ("Jane Doe" over "Doe, Jane"), the fullest on ties."""
    by_key: dict[str, Counter] = defaultdict(Counter)
    for n, c in names.items():
        by_key[normalize_name(n)][n] += c
    key = max(by_key, key=lambda k: (sum(by_key[k].values()), len(k.split()), len(k)))
    return max(by_key[key].items(), key=lambda kv: ("," not in kv[0], kv[1], len(kv[0])))[0]


def _strong_name(key: str) -> bool:
    """Name keys specific enough to merge different addresses on."""
    words = [w for w in key.split() if len(w.strip(".")) > 1]
    return len(words) >= 2


def _name_from_local(addr: str) -> str:
    local = addr.split("@", 1)[0]
    parts = [p for p in re.split(r"[._\-+]", local) if p.isalpha()]
    if len(parts) >= 2:
        return " ".join(p.capitalize() for p in parts)
    return local


# second-level labels under a country code that registries sell names below
# ("example.co.uk", "example.com.pl"): the organization is the label before them
_SECOND_LEVEL = {"co", "com", "ac", "org", "net", "gov", "edu", "or", "ne", "go"}


def _mailbox(addr: str) -> str:
    """The mailbox without a subaddress ("+tag" in the local part)."""
    local, at, domain = addr.partition("@")
    if not at:
        return addr
    return local.split("+", 1)[0] + "@" + domain if local.split("+", 1)[0] else addr


def _organization(domain: str) -> str:
    """The registrable domain: linux.vnet.ibm.com → ibm.com, mail.example.co.uk → example.co.uk."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _names_agree(a: set[str], b: set[str]) -> bool:
    """Two addresses' name keys agree when one side has none, or a full name (two words
    or more) of one side has all the words of a name of the other ("nayna" in "nayna
    jain"). Two one-word names alike are too weak ("Bob" and "Bob")."""
    if not a or not b:
        return True
    for x in a:
        for y in b:
            wx, wy = set(x.split()), set(y.split())
            if (wx <= wy and _strong_name(y)) or (wy <= wx and _strong_name(x)):
                return True
    return False


def load_overrides(path: str | Path | None) -> dict:
    """Read an identity override file (TOML or JSON). Format:

        [[person]]
        name = "Display Name"            # optional: the name to show
        addresses = ["a@x.org", "b@y.com"]  # these addresses are one person
        id = "a@x.org"                   # optional: the person_id to use
    """
    if path is None:
        return {}
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise AnalysisError(f"cannot read identity override file {p}: {e.strerror}") from None
    try:
        if p.suffix == ".json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except ValueError as e:
        raise AnalysisError(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {e}") from None
    return _check_overrides(data, str(p))


def _check_overrides(data, where: str) -> dict:
    if not isinstance(data, Mapping):
        raise AnalysisError(f"{where}: identity overrides must be a table with a 'person' list")
    unknown = set(data) - {"person"}
    if unknown:
        raise AnalysisError(f"{where}: unknown key(s) {sorted(unknown)}; expected 'person'")
    people = data.get("person", [])
    if not isinstance(people, list):
        raise AnalysisError(f"{where}: 'person' must be a list of tables")
    for i, entry in enumerate(people):
        if not isinstance(entry, Mapping):
            raise AnalysisError(f"{where}: person[{i}] must be a table")
        bad = set(entry) - {"name", "addresses", "id"}
        if bad:
            raise AnalysisError(f"{where}: person[{i}]: unknown key(s) {sorted(bad)}")
        addrs = entry.get("addresses")
        if not isinstance(addrs, list) or not addrs or not all(isinstance(a, str) for a in addrs):
            raise AnalysisError(f"{where}: person[{i}].addresses must be a non-empty list of strings")
    return {"person": [dict(e) for e in people]}


def merge_identities(
    messages: Iterable[Message], overrides: Mapping | str | Path | None = None
) -> tuple[tuple[Person, ...], dict[str, str]]:
    """People of these messages and message_id -> person_id."""
    if isinstance(overrides, (str, Path)):
        overrides = load_overrides(overrides)
    elif overrides is not None:
        overrides = _check_overrides(overrides, "overrides")
    msgs = list(messages)
    # union-find over addresses
    sets = DisjointSets()
    find, union = sets.find, sets.union

    addr_of: dict[str, str] = {}
    names_by_addr: dict[str, Counter] = defaultdict(Counter)
    addr_count: Counter = Counter()
    first_seen: dict[str, int] = {}
    for i, m in enumerate(msgs):
        addr = normalize_address(m.from_address) or f"unknown:{normalize_name(m.from_name) or m.message_id}"
        addr_of[m.message_id] = addr
        find(addr)
        addr_count[addr] += 1
        first_seen.setdefault(addr, i)
        if normalize_name(m.from_name):
            names_by_addr[addr][m.from_name.strip().strip('"')] += 1

    forced: dict[str, dict] = {}
    if overrides:
        for entry in overrides.get("person", []):
            addrs = [normalize_address(a) for a in entry["addresses"]]
            for a in addrs:
                find(a)
            for a in addrs[1:]:
                union(addrs[0], a)
            forced[addrs[0]] = entry

    # one mailbox under several subaddresses; one local part at one organization
    by_mailbox: dict[str, str] = {}
    by_local_org: dict[tuple[str, str], list[str]] = defaultdict(list)
    for addr in addr_count:
        if addr.startswith("unknown:") or "@" not in addr:
            continue
        box = _mailbox(addr)
        if box in by_mailbox:
            union(by_mailbox[box], addr)
        else:
            by_mailbox[box] = addr
        local, _, domain = box.partition("@")
        by_local_org[(local, _organization(domain))].append(addr)
    keys_of = {a: {normalize_name(n) for n in names_by_addr.get(a, ())} - {""} for a in addr_count}
    for addrs in by_local_org.values():
        for a, b in itertools.combinations(addrs, 2):
            if _mailbox(a) != _mailbox(b) and _names_agree(keys_of[a], keys_of[b]):
                union(a, b)

    by_name: dict[str, str] = {}
    for addr, names in names_by_addr.items():
        for name in names:
            key = normalize_name(name)
            if not _strong_name(key):
                continue
            if key in by_name:
                union(by_name[key], addr)
            else:
                by_name[key] = addr

    groups: dict[str, list[str]] = defaultdict(list)
    for addr in sets:
        groups[find(addr)].append(addr)

    person_of_addr: dict[str, str] = {}
    people: list[Person] = []
    for members in groups.values():
        members.sort(key=lambda a: (-addr_count[a], first_seen.get(a, 1 << 30), a))
        entry = next((forced[a] for a in members if a in forced), None)
        pid = normalize_address(entry["id"]) if entry and entry.get("id") else members[0]
        names = Counter()
        for a in members:
            names.update(names_by_addr.get(a, {}))
        if entry and entry.get("name"):
            name = entry["name"]
        elif names:
            name = _display_name(names)
        else:
            name = _name_from_local(members[0])
        used = tuple(a for a in members if addr_count[a] and not a.startswith("unknown:"))
        if not any(addr_count[a] for a in members):
            continue  # override entry for addresses not in these messages
        people.append(Person(person_id=pid, name=name, addresses=used))
        for a in members:
            person_of_addr[a] = pid
    author_of = {mid: person_of_addr[addr] for mid, addr in addr_of.items()}
    order = {p: i for i, p in enumerate(dict.fromkeys(author_of[m.message_id] for m in msgs))}
    people.sort(key=lambda p: order.get(p.person_id, 1 << 30))
    return tuple(people), author_of


class PersonIndex:
    """Resolve a name and/or address seen in text (attribution lines) to a person_id."""

    def __init__(self, people: Iterable[Person]):
        self.by_addr: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        self.by_first: dict[str, set[str]] = defaultdict(set)
        for p in people:
            for a in p.addresses:
                self.by_addr[a] = p.person_id
            key = normalize_name(p.name)
            if key:
                self.by_name[key] = p.person_id
                self.by_first[key.split()[0]].add(p.person_id)

    def resolve(self, name: str | None, address: str | None) -> str | None:
        if address:
            pid = self.by_addr.get(normalize_address(address))
            if pid:
                return pid
        key = normalize_name(name or "")
        if key:
            if key in self.by_name:
                return self.by_name[key]
            first = self.by_first.get(key.split()[0], set())
            if len(first) == 1 and len(key.split()) == 1:
                return next(iter(first))
        if address:
            return normalize_address(address)
        return None
