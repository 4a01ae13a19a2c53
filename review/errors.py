"""Every error `review` raises on purpose, in one tree.

    ReviewError                      anything the user can act on; the CLI prints
     │                               "Error: <message>" and exits 1, never a traceback
     ├── ProtocolError               queries/*.toml is missing, malformed or inconsistent
     ├── InputError                  an imported file cannot be read (names file and line)
     ├── SearchError                 PubMed could not answer a search completely
     │    ├── QueryError             NCBI rejected the query itself; retrying cannot help
     │    ├── RetriesExhausted       transient faults outlasted the retry budget
     │    ├── IncompleteRetrieval    PMIDs collected differ from esearch Count
     │    └── OfflineMiss            --offline and the cache lacks a response
     ├── CacheError                  the cache folder cannot be opened or written
     ├── DecisionError               screening decisions cannot be stored or imported
     └── ReportError                 a report cannot be built (e.g. PRISMA arithmetic fails)

Each message says what went wrong, where, and what to do next.
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "DecisionError",
    "IncompleteRetrieval",
    "InputError",
    "OfflineMiss",
    "ProtocolError",
    "QueryError",
    "ReportError",
    "RetriesExhausted",
    "ReviewError",
    "SearchError",
]


class ReviewError(Exception):
    """Base of every error the user is meant to see as one line."""


class ProtocolError(ReviewError):
    """The protocol file cannot be used as written."""


class InputError(ReviewError):
    """An input file (RIS, BibTeX, CSV, MEDLINE, XML, ...) cannot be read."""


class SearchError(ReviewError):
    """A PubMed search could not be completed."""


class QueryError(SearchError):
    """NCBI rejected the query or request; retrying would give the same answer."""


class RetriesExhausted(SearchError):
    """Transient faults continued after every retry."""


class IncompleteRetrieval(SearchError):
    """The PMIDs collected do not match what PubMed counted."""


class OfflineMiss(SearchError):
    """An offline run needed a response the cache does not hold."""


class CacheError(ReviewError):
    """The cache folder cannot be opened, read or written."""


class DecisionError(ReviewError):
    """Screening decisions cannot be stored, read or imported."""


class ReportError(ReviewError):
    """A report cannot be built from the records, links and decisions."""
