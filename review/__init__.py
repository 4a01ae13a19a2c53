"""review: the mechanical half of a systematic literature review."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs a fifth of `review --help`.
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'review' has no attribute {name!r}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("review")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+source"
