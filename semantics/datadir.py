"""The one place the data directory is decided (semantics.kernels.data_dir re-exports it).

Stdlib only and importing nothing of the package, so that a reader of the store that needs only
the path (hookdebate.pipeline.data_dir: the fingerprints a cached analysis or report is checked
against) can run this file on its own without importing the kernel model (semantics/__init__
imports all of it, ~20 ms of a 100 ms command)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def _default_data() -> Path:
    """data/ beside the packages (a checkout, `pip install -e`), else where `pip install .`
    put it (pyproject.toml's data-files: <prefix>/share/hookdebate/data)."""
    here = Path(__file__).resolve().parents[1] / "data"
    if here.is_dir():
        return here
    installed = Path(sys.prefix) / "share" / "hookdebate" / "data"
    return installed if installed.is_dir() else here


_DEFAULT_DATA = _default_data()


def data_dir() -> Path:
    """The one place the data directory is decided: $HOOKDEBATE_DATA, else the default."""
    env = os.environ.get("HOOKDEBATE_DATA")
    return Path(env) if env else _DEFAULT_DATA
