"""Shared test fixtures.

`shared` is the project's read-only data folder beside the repository
(`../shared`). A newcomer's clone has none, so tests that need a large shared
dataset take the `shared_dir` fixture and are skipped, saying why, when it is
absent; CI has it, so they run there. Small fixtures live in tests/fixtures/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data" / "README.md").is_file():
        pytest.skip(f"needs the shared data folder {SHARED}, which this clone does not have")
    return SHARED


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def formats_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "formats"


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """queries/kratom.toml, its sources and the example snapshot, laid out as a fresh clone
    has them, as the working directory."""
    (tmp_path / "queries").mkdir()
    shutil.copy(REPO / "queries" / "kratom.toml", tmp_path / "queries")
    shutil.copytree(REPO / "queries" / "sources", tmp_path / "queries" / "sources")
    shutil.copytree(REPO / "cache" / "example", tmp_path / "cache" / "example")
    monkeypatch.chdir(tmp_path)
    return tmp_path
