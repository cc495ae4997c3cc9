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
