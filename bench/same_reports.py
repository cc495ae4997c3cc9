"""Are the reports the same before and after a change? Writes the reports of the embedded thread
and five 2022 threads (Markdown, Markdown with pictures, HTML, JSON, the argument map's exports)
with the code of git revision --base (default main) and with this checkout, each on a database
of its own, and compares them byte for byte, with what changes from run to run set aside: the
ids matplotlib gives SVG elements, the SVG's date and the variant diff's timing.

    .venv/bin/python bench/same_reports.py [--base main] [--keep DIR]

Prints one line per file (same / DIFFERS) and a diff of each that differs; exit status 1 when one does.
"""
from __future__ import annotations

import argparse
import base64
import difflib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path("data/corpus/linux-security-module-2022.mbox.gz")
EMBEDDED = "20230412043300.360803-1-andrii@kernel.org"
THREADS_2022 = (
    "6e142c3526df693abfab6e1293a27828267cc45e.camel@huaweicloud.com",  # Closing the BPF map permission loophole
    "20220901152632.970018-1-omosnace@redhat.com",                      # fs: fix capable() call in simple_xattr_list()
    "20221021164626.3729012-1-roberto.sassu@huaweicloud.com",           # bpf: Check xattr name/value pair
    "1D8F1768-D42A-4775-9B0E-B507D5F9E51E@oracle.com",                  # Does NFS support Linux Capabilities
    "20220707223228.1940249-1-fred@cloudflare.com",                     # [PATCH v2 0/4] security_create_user_ns()
)
FORMATS = (("md", ()), ("pictures.md", ("--pictures",)), ("html", ()), ("json", ()))
# what differs from run to run of the same code
_NOISE = (
    (re.compile(rb'\b(id|href|clip-path|xlink:href)="(url\()?#?[A-Za-z_][\w-]*?[0-9a-f]{6,}[\w-]*\)?"'), rb'\1="ID"'),
    (re.compile(rb"url\(#[\w-]+\)"), rb"url(#ID)"),
    (re.compile(rb"<dc:date>[^<]*</dc:date>"), rb"<dc:date>DATE</dc:date>"),
    (re.compile(rb"\b\d+\.\d+ ?s\b"), rb"N.NNs"),
    (re.compile(rb'"seconds": \d+(\.\d+)?'), rb'"seconds": N'),
)


def _run(tree: Path, *args: str) -> None:
    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); from hookdebate.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEBATE_")}
    r = subprocess.run([sys.executable, "-c", code, str(tree), *args], cwd=tree, env=env,
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{tree}: hookdebate {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()[-500:]}")


def write_reports(tree: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "reports.db"
    _run(tree, "ingest", "--db", str(db), "data/threads/authoritative-hooks.mbox", str(CORPUS))
    files = []
    for root in (EMBEDDED, *THREADS_2022):
        name = root.split("@")[0][:40]
        for ext, extra in FORMATS:
            f = out / f"{name}.{ext}"
            _run(tree, "report", "--db", str(db), "--thread", root, "-o", str(f),
                 "--format", ext.rsplit(".", 1)[-1], *extra, *(("--map", str(out / name)) if ext == "md" else ()))
    return sorted(p for p in out.iterdir() if p.is_file() and p.name != "reports.db" and not p.name.startswith("reports.db"))


_SVG_URI = re.compile(rb"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def normalized(data: bytes) -> bytes:
    """The file with the run-to-run noise set aside (inside the HTML's inline SVG pictures too)."""
    data = _SVG_URI.sub(lambda m: b"data:image/svg+xml," + normalized(base64.b64decode(m.group(1))), data)
    for rx, to in _NOISE:
        data = rx.sub(to, data)
    return data


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="main", help="git revision to compare with (default main)")
    ap.add_argument("--keep", help="write the reports under this folder (base/ and here/) and keep them")
    ap.add_argument("--compare-only", action="store_true", help="with --keep: compare the reports written before")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="same-reports-"))
    base_tree = work / "base-tree"
    base_tree.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(["git", "archive", args.base], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(base_tree, filter="data")
    if args.compare_only:
        before, after = sorted((work / "base").iterdir()), sorted((work / "here").iterdir())
    else:
        before = write_reports(base_tree, work / "base")
        after = write_reports(ROOT, work / "here")
    names = sorted({p.name for p in before + after if not p.name.startswith("reports.db")})
    differ = 0
    for n in names:
        a, b = work / "base" / n, work / "here" / n
        if not (a.exists() and b.exists()):
            print(f"{n}: only {'before' if a.exists() else 'after'}")
            differ += 1
            continue
        x, y = normalized(a.read_bytes()), normalized(b.read_bytes())
        if x == y:
            print(f"{n}: same")
            continue
        differ += 1
        print(f"{n}: DIFFERS")
        sys.stdout.writelines(difflib.unified_diff(x.decode("utf-8", "replace").splitlines(True),
                                                   y.decode("utf-8", "replace").splitlines(True),
                                                   f"{args.base}/{n}", f"here/{n}", n=1))
    print(f"{len(names) - differ} of {len(names)} files the same ({work})")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
