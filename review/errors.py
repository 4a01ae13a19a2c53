"""Every error `review` raises on purpose, in one tree.

    ReviewError                      anything the user can act on; the CLI prints
     │                               "Error: <message>" and exits 1, never a traceback
     ├── ProtocolError               queries/*.toml is missing, malformed or inconsistent
     ├── InputError                  an imported file cannot be read (names file and line)
     ├── SearchError                 PubMed could not answer a search completely
     │    ├── QueryError             NCBI rejected the query itself; retrying cannot help
     │    │    └── ApiKeyError        NCBI rejected the API key, not the query
     │    ├── RetriesExhausted       transient faults outlasted the retry budget
     │    ├── IncompleteRetrieval    PMIDs collected differ from esearch Count
     │    └── OfflineMiss            --offline and the cache lacks a response
     ├── CacheError                  the cache folder cannot be opened or written
     ├── DecisionError               screening decisions cannot be stored or imported
     └── ReportError                 a report cannot be built (e.g. PRISMA arithmetic fails)

Each message says what went wrong, where, and what to do next.
"""

from __future__ import annotations

import errno

__all__ = [
    "ApiKeyError",
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
    "os_error_advice",
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


class ApiKeyError(QueryError):
    """NCBI refused the API key sent with the request; the query was never run."""


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


# What a person can do about a failed file operation, by its errno. Advice that does
# not match the cause (free space for "File exists") sends people the wrong way.
_OS_ERROR_ADVICE = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space (the disk quota is used up)",
    errno.EFBIG: "free some space or use a file system that allows larger files",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
    errno.EROFS: "the disk is read-only; use a writable one",
    errno.EEXIST: "a file of that name is in the way; move it",
    errno.ENOTDIR: "a file stands where a folder is needed; move it",
    errno.EISDIR: "a folder stands where a file is needed; move it",
    errno.ENAMETOOLONG: "use a shorter path",
    errno.ELOOP: "a symbolic link points to itself; fix the link",
    errno.EIO: "the disk reported an input/output error; check it",
}


def os_error_advice(exc: OSError, otherwise: str) -> str:
    """What to do about `exc`, by its errno; `otherwise` when its cause is not known.

    Phrased to go before "or ..." in a message: "free some space or choose another
    folder with --out."
    """
    return _OS_ERROR_ADVICE.get(exc.errno or 0, otherwise)
