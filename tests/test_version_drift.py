"""scripts/version_drift.py: CI names the releases that differ from the last passing ones."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "version_drift.py"


def drift(*args: str) -> str:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True
    )
    return run.stdout


def test_a_release_other_than_the_pinned_one_is_named(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    drift("--write", str(constraints))
    assert f"lxml=={metadata.version('lxml')}" in constraints.read_text()
    assert drift(str(constraints)).startswith("version drift: none")

    text = constraints.read_text().replace(f"lxml=={metadata.version('lxml')}", "lxml==6.1.3")
    constraints.write_text(text)
    report = drift(str(constraints))
    assert "1 packages differ" in report
    assert f"6.1.3 -> {metadata.version('lxml')}" in report


def test_a_missing_constraints_file_is_reported_not_fatal(tmp_path: Path) -> None:
    assert "cannot read" in drift(str(tmp_path / "absent.txt"))
