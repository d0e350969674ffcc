"""Progress on stderr: timed step lines, a spinner and bars on a terminal; silent with -q.

Bars and spinners appear only when stderr is a terminal (not in logs, pipes or tests).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

import click


def _interactive() -> bool:
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


class Steps:
    """``say(message)``: one ``[  1.2s] message`` line per step, and on a terminal a spinner
    showing the step still running. Stopped when the command ends."""

    def __init__(self, ctx: click.Context) -> None:
        self.start = time.perf_counter()
        self.quiet = bool((ctx.obj or {}).get("quiet"))
        self._console = None
        self._status = None
        if not self.quiet and _interactive():
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        ctx.call_on_close(self.close)

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        line = f"[{time.perf_counter() - self.start:6.1f}s] {message}"
        if self._console is None:
            click.echo(line, err=True)
            return
        self._console.print(line, markup=False)
        if self._status is None:
            self._status = self._console.status(message.strip(), spinner="dots")
            self._status.start()
        else:
            self._status.update(message.strip())

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


@contextlib.contextmanager
def bar(ctx: click.Context, total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal (``advance()`` once per item); nothing otherwise."""
    if (ctx.obj or {}).get("quiet") or not _interactive() or total <= 0:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
