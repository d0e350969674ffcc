"""Atomic file output: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path


@contextlib.contextmanager
def _staged(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return write_all({Path(path): lambda p: p.write_text(text, encoding="utf-8")})[0]


def write_all(writers: Mapping[Path, Callable[[Path], object]]) -> list[Path]:
    """Write several outputs so that either all of them are replaced or none is.

    Each writer is called with a temporary path in the target's folder; only when every
    writer has succeeded are the temporary files renamed over their targets.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, writer in writers.items():
            target = Path(target)
            with _staged(target) as tmp:
                writer(tmp)
                staged.append((tmp, target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]
