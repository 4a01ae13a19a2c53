"""review: the mechanical half of a systematic literature review."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("review")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
