"""`RunSettings`: everything about one run that is not in the protocol.

The command line builds one; the search plan, the stages and the report read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from review.entrez import EutilsSettings
from review.protocol import ImportSource, Protocol
from review.search import Mode, ProgressCallback

__all__ = ["DEFAULT_CACHE_DIR", "EXAMPLE_DIR", "RunSettings"]

DEFAULT_CACHE_DIR = Path("cache")
EXAMPLE_DIR = DEFAULT_CACHE_DIR / "example"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything about one run that is not in the protocol.

    `cache_dir` None lets `review.search_plan.plan_search` choose between
    `default_cache_dir` and the bundled snapshot in `example_dir`. `generated_at` ""
    means now; tests fix it.
    """

    mode: Mode = "cached"  # how to search PubMed when `live`; "refresh" implies it
    live: bool = False  # PubMed asked for explicitly (--live); else the cache is replayed
    cache_dir: Path | None = None
    default_cache_dir: Path = DEFAULT_CACHE_DIR
    example_dir: Path = EXAMPLE_DIR
    eutils: EutilsSettings = field(default_factory=EutilsSettings)
    out_dir: Path | None = None  # default reports/<protocol name>/
    pair_decisions: Path | None = None  # default <protocol dir>/<name>.pair-decisions.csv
    # files named on the command line: a path (the file names its own database) or an
    # ImportSource naming it (`review run P embase.ris=Embase`)
    extra_files: tuple[Path | ImportSource, ...] = ()
    keep_going: bool = False  # an input that yields no record is skipped, not an error
    progress: ProgressCallback | None = None
    on_retry: Callable[[str], None] | None = None  # told of each retry, in one line
    generated_at: str = ""
    remember: bool = True  # add the run to the review's history (`review.history`)
    # `review update`: also search for what PubMed entered since the last run's searches
    update: bool = False

    def report_dir(self, protocol: Protocol) -> Path:
        return self.out_dir if self.out_dir is not None else Path("reports") / protocol.name
