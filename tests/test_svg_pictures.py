"""The thread report's pictures as written by hookdebate.report.svg (the standard library, no
matplotlib): each is XML, its rows, points, arcs and arrows are the report's, mail text in it is
text, the ends of time do not break it, and the HTML report is made without importing matplotlib.
What the pictures should hold is counted here from the report dict itself, not from
hookdebate.report.pictures."""
from __future__ import annotations

import base64
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hookdebate.cli import main
from hookdebate.report import pictures as P

ROOT = Path(__file__).resolve().parents[1]
NS = "{http://www.w3.org/2000/svg}"
SMALL = ROOT / "tests/data/securityfs-linefeed-nak.mbox"  # 7 real messages: few enough for reply arcs


def _svg(data: bytes) -> ET.Element:
    assert data.startswith(b"<?xml")
    return ET.fromstring(data)


def _all(root, tag: str, cls: str | None = None) -> list:
    return [e for e in root.iter(NS + tag) if cls is None or e.get("class") == cls]


def _texts(root) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(NS + "text")]


def _markers(root) -> set[str]:
    return {m.get("id") for m in root.iter(NS + "marker")}


def _path_ends(d: str):
    """(start, control, end) of a path 'M x y Q cx cy x y'."""
    nums = list(map(float, re.findall(r"-?[\d.]+", d)))
    assert len(nums) == 6, d
    return (nums[0], nums[1]), (nums[2], nums[3]), (nums[4], nums[5])


@pytest.fixture(scope="module")
def small_report():
    from analysis import analyze
    from hookdebate.report import build
    from scraper import iter_mbox

    return build(analyze(list(iter_mbox(SMALL)), stance="rules"), None)


def test_timeline_rows_points_and_arcs_are_the_reports(small_report):
    r = small_report
    root = _svg(P.timeline(r))
    dated = [t for t in r["timeline"] if isinstance(t["date"], datetime)]
    assert len(dated) == len(r["timeline"]) == 7 <= P.MAX_ARCS
    people = list(dict.fromkeys(t["author"] for t in dated))
    rows = [x.text for x in _all(root, "text", "person")]
    assert rows == [f"{p} ({sum(t['author'] == p for t in dated)})" for p in people]
    assert len(_all(root, "circle", "message")) == len(dated)  # one point per message
    author = {t["message_id"]: t["author"] for t in dated}
    to_others = [t for t in dated if t["parent"] in author and author[t["parent"]] != t["author"]]
    arcs = _all(root, "path", "reply")
    assert len(arcs) == len(to_others) > 0
    assert all(a.get("marker-end") == "url(#reply-head)" for a in arcs) and "reply-head" in _markers(root)
    # each arc ends on the row of the reply's author (the heads point at who replied)
    y = {x.text.rsplit(" (", 1)[0]: float(x.get("y")) - 4 for x in _all(root, "text", "person")}
    ends = sorted(round(_path_ends(a.get("d"))[2][1]) for a in arcs)
    want = sorted(round(y[t["author"]]) for t in to_others)
    assert all(abs(a - b) < 13 for a, b in zip(ends, want)), (ends, want)  # rows are 26 px apart
    legend = [x.text for x in _all(root, "text", "legend")]
    assert legend == [k for k in P.STANCE_COLORS if any(t["stance"] == k for t in dated)]


def test_timeline_of_many_messages_leaves_out_the_arcs_and_bounds_the_rows():
    base = datetime(2023, 4, 12, tzinfo=timezone.utc)
    n = P.MAX_SCATTERS + 300
    r = {"timeline": [{"message_id": f"m{i}", "author": f"Person {i % 90}", "date": base + timedelta(minutes=i),
                       "parent": f"m{i - 1}" if i else None, "stance": "neutral"} for i in range(n)]}
    root = _svg(P.timeline(r))
    rows = [x.text for x in _all(root, "text", "person")]
    # 80 people post 9 times, 10 post 8 times: the 59 busiest (by name among equals) keep their rows
    assert len(rows) == P.MAX_ROWS and f"{90 - P.MAX_ROWS + 1} others ({n - (P.MAX_ROWS - 1) * 9})" in rows
    assert not _all(root, "path", "reply") and f"reply arcs left out for {n} messages" in _texts(root)[0]
    points = len(_all(root, "circle", "message"))
    assert 0 < points <= n


def _claim(author, to=None, relation=None, finding="cannot judge"):
    return {"author": author, "verdict": finding, "finding": finding, "relation": relation,
            "responds_to": {"author": to, "message_id": "x", "quote": "q"} if to else None}


def test_argument_map_arrows_have_heads_and_point_at_who_is_answered():
    claims = [_claim("Ann", "Bob", "attack"), _claim("Ann", "Bob", "attack"), _claim("Bob", "Ann", "support"),
              _claim("Cy", "Ann", "attack", "supports"), _claim("Dee"), _claim("Ann", "Ann", "attack"),
              _claim("Bob", "Cy", None)]
    root = _svg(P.argument_map({"claims": claims}))
    assert len(_all(root, "rect", "node")) == 4  # Ann, Bob, Cy, Dee
    arrows = _all(root, "path", "attack") + _all(root, "path", "support")
    assert len(arrows) == 3  # Ann->Bob attack (2 claims), Bob->Ann support, Cy->Ann attack
    assert all(a.get("marker-end", "").removeprefix("url(#").removesuffix(")") in _markers(root) for a in arrows)
    centre = {t.text: (float(t.get("x")), float(t.get("y"))) for t in root.iter(NS + "text")
              if t.text in ("Ann", "Bob", "Cy", "Dee")}
    assert len(centre) == 4 and "model supports 1" in _texts(root)

    def nearest(p):
        return min(centre, key=lambda n: (centre[n][0] - p[0]) ** 2 + (centre[n][1] - p[1]) ** 2)
    seen = set()
    for a in arrows:
        start, control, end = _path_ends(a.get("d"))
        seen.add((nearest(start), nearest(end), a.get("class")))
    assert seen == {("Ann", "Bob", "attack"), ("Bob", "Ann", "support"), ("Cy", "Ann", "attack")}
    # the two directions between Ann and Bob are two curves, bent to different sides
    (_, c1, _), (_, c2, _) = [_path_ends(a.get("d")) for a in arrows
                              if {nearest(_path_ends(a.get("d"))[0]), nearest(_path_ends(a.get("d"))[2])} == {"Ann", "Bob"}]
    assert abs(c1[0] - c2[0]) + abs(c1[1] - c2[1]) > 20
    widths = sorted(float(a.get("stroke-width")) for a in arrows)
    assert widths[0] < widths[-1]  # two claims draw a wider arrow than one


def test_argument_map_arrows_are_the_reports_edges(small_report):
    r = small_report
    root = _svg(P.argument_map(r))
    want = {(c["author"], c["responds_to"]["author"], "attack" if c["relation"] == "attack" else "support")
            for c in r["claims"] if c["relation"] and c["responds_to"] and c["responds_to"].get("author")
            and c["responds_to"]["author"] != c["author"]}
    arrows = _all(root, "path", "attack") + _all(root, "path", "support")
    assert len(arrows) == len(want) > 0
    assert len(_all(root, "rect", "node")) == len({c["author"] for c in r["claims"]} | {a for _, a, _ in want})


HOSTILE = ['</svg><script>alert("PWNED")</script>', "$x$ & $\\frac{1}{0}$", "Ann\x05 \ud800 \ufffe",
           "<!-- -->]]><![CDATA[", "Bob \u4e2d\u6587"]


def test_mail_text_in_the_pictures_is_inert():
    base = datetime(2023, 4, 12, tzinfo=timezone.utc)
    r = {"timeline": [{"message_id": f"m{i}", "author": n, "date": base + timedelta(hours=i),
                       "parent": f"m{i - 1}" if i else None, "stance": "oppose"} for i, n in enumerate(HOSTILE)],
         "claims": [_claim(a, b, "attack") for a, b in zip(HOSTILE, HOSTILE[1:] + HOSTILE[:1])]}
    for data in (P.timeline(r), P.argument_map(r)):
        root = _svg(data)  # parses: no markup of the names' leaked
        assert not list(root.iter(NS + "script")) and b"<script" not in data
        texts = _texts(root)
        assert any('</svg><script>alert("PWNED")</script>' in t for t in texts)
        assert any("$x$ & $\\frac{1}{0}$" in t for t in texts)
        assert any("Ann\ufffd \ufffd \ufffd" in t for t in texts)  # what XML cannot hold is U+FFFD
        assert any("]]><![CDATA[" in t for t in texts) and any("\u4e2d\u6587" in t for t in texts)


@pytest.mark.parametrize("dates, drawn", [
    ([datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)], 1),
    ([datetime(1, 1, 1, tzinfo=timezone.utc)], 1),
    ([datetime(1, 1, 1, tzinfo=timezone.utc), datetime(2023, 4, 12, tzinfo=timezone.utc),
      datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)], 3),
    # past 9999 in UTC, unreadable ones (as the report keeps them: the raw header, "" without one)
    ([datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
      "not a date", "", "9999-13-32", datetime(9999, 12, 1, tzinfo=timezone.utc), "9999-12-31T23:00:00+00:00"], 2),
    (["not a date", ""], 0),
])
def test_dates_at_the_ends_of_time_or_unreadable(dates, drawn):
    r = {"timeline": [{"message_id": f"m{i}", "author": f"P{i}", "date": d, "parent": "m0" if i else None,
                       "stance": "support"} for i, d in enumerate(dates)]}
    root = _svg(P.timeline(r))
    assert len(_all(root, "circle", "message")) == drawn
    assert len(_all(root, "text", "person")) == drawn
    ticks = [t.text for t in _all(root, "text", "tick")]
    assert ticks == sorted(ticks) and len(ticks) == len(set(ticks))
    if drawn == 3:  # years 1 to 9999: year ticks
        assert ticks and all(re.fullmatch(r"\d{4}", t) for t in ticks)


def test_ticks_are_days_inside_the_axis_for_a_weeks_thread(small_report):
    root = _svg(P.timeline(small_report))
    box = _all(root, "rect", "axes")[0]
    left, right = float(box.get("x")), float(box.get("x")) + float(box.get("width"))
    ticks = _all(root, "text", "tick")
    assert ticks and all(left <= float(t.get("x")) <= right for t in ticks)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", t.text) for t in ticks)


def _ingest_small(tmp_path) -> Path:
    db = tmp_path / "s.db"
    assert main(["ingest", str(SMALL), "--db", str(db), "--no-progress"]) == 0
    return db


def _inline_svgs(html: str) -> dict[str, bytes]:
    return {name: base64.b64decode(b64) for name, b64 in
            re.findall(r'id="([^"]+)" alt="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)}


def test_html_report_imports_no_matplotlib_and_markdown_has_the_same_svg(tmp_path, capsys):
    db = _ingest_small(tmp_path)
    out = tmp_path / "r.html"
    code = ("import sys; from hookdebate.cli import main; "
            f"rc = main(['report', '--format', 'html', '--db', {str(db)!r}, '-o', {str(out)!r}]); "
            "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'networkx', 'PIL'}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.stdout.strip().splitlines()[-1] == "0 []", run.stderr
    pics = _inline_svgs(out.read_text())
    assert set(pics) == {"argument-map", "timeline"}
    for data in pics.values():
        _svg(data)
    # Markdown's --pictures: the same SVG files, and matplotlib's PNG of each
    md = tmp_path / "r.md"
    assert main(["report", "--db", str(db), "--pictures", "-o", str(md)]) == 0
    capsys.readouterr()
    for name, data in pics.items():
        assert (tmp_path / f"r-{name}.svg").read_bytes() == data
        assert (tmp_path / f"r-{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
