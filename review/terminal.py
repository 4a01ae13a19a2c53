"""What `review` prints, made safe for a terminal, in one place.

Record fields, imported files and NCBI's answers are text from elsewhere. A title
holding `ESC[2J ESC]0;…BEL` cleared the screen and set the window title when it was
printed; an error message quoting a server's body can carry the same. So:

* `printable(text)` drops control characters (C0 but tab and newline, DEL, C1) and
  the Unicode bidirectional overrides and isolates, which make text read otherwise
  than it is stored;
* `printable_output()` puts a `PrintableStream` in front of `sys.stdout` and
  `sys.stderr` while a command runs: `review.cli.main` uses it, so every `print`
  of every command, and every `Error: …`, passes through `printable`;
* `console()` is the rich console a command draws with (progress bars, the
  screener). Its own styling is control sequences, so it writes to the real stream,
  and a render hook passes the text of everything it renders through `printable`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Final, TextIO, cast

if TYPE_CHECKING:  # rich is imported only when a console is made: `review --help` is fast
    from rich.console import (
        Console,
        ConsoleOptions,
        ConsoleRenderable,
        RenderHook,
        RenderResult,
    )
    from rich.measure import Measurement

__all__ = ["PrintableStream", "console", "printable", "printable_output", "raw_stream"]

_KEPT: Final = frozenset("\t\n")
_BIDI: Final = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))  # LRE…RLO, LRI…PDI
_REMOVED: Final = {
    code: None for code in (*range(0x20), *range(0x7F, 0xA0), *_BIDI) if chr(code) not in _KEPT
}


def printable(text: str) -> str:
    """`text` without the characters that would steer a terminal instead of showing."""
    return text.translate(_REMOVED)


class PrintableStream:
    """A text stream that writes what it is given through `printable`; the rest delegates."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(printable(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ...
        return getattr(self.raw, name)


def raw_stream(stream: IO[str]) -> TextIO:
    """The stream behind a `PrintableStream`, or the stream itself."""
    return cast(TextIO, stream.raw if isinstance(stream, PrintableStream) else stream)


@contextmanager
def printable_output() -> Iterator[None]:
    """Everything printed to stdout and stderr inside the block passes through `printable`."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, PrintableStream(raw_stream(sys.stdout)))
    sys.stderr = cast(TextIO, PrintableStream(raw_stream(sys.stderr)))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def console(*, stderr: bool = False, file: IO[str] | None = None, **options: Any) -> Console:
    """A rich console on the real stream whose rendered text passes through `printable`."""
    from rich.console import Console

    stream = file if file is not None else sys.stderr if stderr else sys.stdout
    made = Console(file=raw_stream(stream), **options)
    made.push_render_hook(cast("RenderHook", _PrintableHook()))
    return made


class _PrintableHook:
    """A rich render hook (duck-typed: rich is not imported until a console is made)."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Printable(r) for r in renderables]


class _Printable:
    """Renders a renderable with `printable` applied to every segment of text.

    Control segments (rich's own cursor moves, clearing) pass unchanged. The removed
    characters take no cell on screen, so the layout rich computed still holds.
    """

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for segment in console.render(self.inner, options):
            if segment.control:
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.inner)
