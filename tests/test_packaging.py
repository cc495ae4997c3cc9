"""What `pip install .` (or a wheel) carries besides the packages: the data directory."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_INSTALLED = {"corpus"}  # the benchmarks' 2022 list; the tool never reads it


def test_every_data_directory_is_installed():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    files = meta["tool"]["setuptools"]["data-files"]
    installed = {target.rsplit("/", 1)[1]: globs for target, globs in files.items()}
    wanted = {p.name for p in (ROOT / "data").iterdir() if p.is_dir()} - NOT_INSTALLED
    assert set(installed) == wanted, "pyproject.toml [tool.setuptools.data-files] must list each data/ directory"
    for name, globs in installed.items():
        assert globs == [f"data/{name}/*"]
        assert not any(p.is_dir() for p in (ROOT / "data" / name).iterdir()), f"data/{name} has a subdirectory"


def test_spacy_model_is_a_pinned_dependency():
    """`pip install .` alone gives a tool that can analyze: the model is a dependency, pinned to
    the version (and, for make venv, the hash) in requirements/spacy-model.txt."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = (ROOT / "requirements" / "spacy-model.txt").read_text().split()[0]
    assert pinned in meta["project"]["dependencies"]


def test_readme_second_step_reads_the_demo_database(tmp_path):
    """`make demo` (the Makefile's demo line: report into .demo.db), then the first command of
    the README's "Using it" as written, from the checkout's directory (here: tmp_path)."""
    import os
    import re
    import shlex
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    assert ".demo.db" in readme.split("```sh\n", 1)[1].split("```", 1)[0]  # make demo's line says where
    using = readme.split("## Using it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    step = next(line for line in using.splitlines() if line.strip() and not line.startswith("#"))
    demo = re.search(r"^demo:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "$(CURDIR)/.demo.db" in demo and demo.endswith("$(BIN)/hookdebate report")
    env = {k: v for k, v in os.environ.items() if k != "HOOKDEBATE_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")  # not the user's own database
    hd = [sys.executable, "-m", "hookdebate"]
    subprocess.run(hd + ["report"], cwd=tmp_path, env={**env, "HOOKDEBATE_DB": str(tmp_path / ".demo.db")},
                   check=True, capture_output=True)
    second = shlex.split(step.split("#", 1)[0])
    assert second[0] == ".venv/bin/hookdebate"
    out = subprocess.run(hd + second[1:], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Paul Moore" in out.stdout and "oppose" in out.stdout
