"""The README's promises: two quick-start commands, CI calls the test one, the library
example runs as written."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", README, flags=re.S | re.M)


def test_readme_starts_with_exactly_two_commands_and_ci_runs_the_test_one():
    first = README.split("```", 2)[1]
    assert first.startswith("sh\n")
    commands = [line.split("#")[0].strip() for line in first[3:].splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)


def test_library_example_runs_as_written(tmp_path):
    (example,) = _blocks("python")
    (tmp_path / "data").symlink_to(ROOT / "data")
    run = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    # The proposal's authoritative hook lets the container task's map creation through.
    assert "allow" in lines
    assert any(line.startswith("map_create() kernel/bpf/syscall.c (patch 4/8)") for line in lines)
    assert any(" support " in line for line in lines)  # a position with its stance
    assert (tmp_path / "debate.db").exists()
