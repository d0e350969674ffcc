"""Names that become file names, and the output paths a run may write to.

``slug`` is the one function that turns a district or scenario name into a file name; the
result is a single path component (no separators, no ``..``, no leading dot, no control
characters, not a Windows device name), at most ``MAX_SLUG_BYTES`` bytes of UTF-8, and keeps
letters of any script (``海淀 北下关`` -> ``海淀-北下关``). ``file_names`` maps many names at
once and refuses two names that land on the same file, or a name that lands on a file the
command writes anyway. ``check_outputs`` refuses output paths that are not safe to write.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from planner.errors import OutputError

__all__ = ["slug", "file_names", "check_outputs", "MAX_SLUG_BYTES"]

#: Longest slug in bytes (file systems allow 255; room is left for suffixes and temp names).
MAX_SLUG_BYTES = 96
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                    *(f"lpt{i}" for i in range(10))}
_NOT_WORD = re.compile(r"[^\w]+", flags=re.UNICODE)


def slug(name: object) -> str:
    """A safe, readable file-name stem for ``name`` (lower case, ``-`` between words).

    Letters and digits of every script are kept; everything else (separators, dots, spaces,
    quotes, emoji, control characters) becomes ``-``. A name with nothing left becomes
    ``unnamed-<hash>``; a name too long is cut and gets ``-<hash>`` so that long names that
    differ only at the end stay distinct.
    """
    text = unicodedata.normalize("NFKC", str(name)).lower()
    text = _NOT_WORD.sub("-", text).replace("_", "-")
    text = re.sub(r"-{2,}", "-", text).strip("-")
    digest = hashlib.sha1(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if not text:
        return f"unnamed-{digest}"
    if len(text.encode("utf-8")) > MAX_SLUG_BYTES:
        cut = text.encode("utf-8")[: MAX_SLUG_BYTES - 9].decode("utf-8", "ignore").rstrip("-")
        text = f"{cut}-{digest}"
    if text.split(".")[0] in _WINDOWS_DEVICES:
        text = f"{text}-"
    return text


def file_names(names: Iterable[str], *, suffix: str = "", reserved: Iterable[str] = (),
               what: str = "name") -> dict[str, str]:
    """``{name: slug + suffix}`` for every name; an :class:`OutputError` names both sides of a
    collision (two names, or a name and a file in ``reserved`` the command writes anyway).

    Comparison ignores case, as on macOS and Windows file systems.
    """
    taken: dict[str, str] = {r.casefold(): f"the output file {r!r}" for r in reserved}
    out: dict[str, str] = {}
    for name in names:
        file_name = slug(name) + suffix
        key = file_name.casefold()
        if key in taken:
            raise OutputError(
                f"{what} {name!r} would be written as {file_name!r}, the same file as "
                f"{taken[key]}; rename one of them")
        taken[key] = f"{what} {name!r}"
        out[name] = file_name
    return out


def check_outputs(targets: Iterable[str | os.PathLike], *,
                  inputs: Iterable[str | os.PathLike] = (), force: bool = False) -> list[Path]:
    """The real paths to write for ``targets``, or an :class:`OutputError` before anything
    is written.

    Refused: the same file named twice, an input of the run, an existing directory, FIFO,
    device, socket or other non-regular file, and a symlink (unless ``force``: then the file
    the link points to is replaced and the link kept).
    """
    input_keys: dict[str, Path] = {}
    for path in inputs:
        key = _identity(Path(path))
        if key is not None:
            input_keys[key] = Path(path)
    seen: dict[str, Path] = {}
    real_paths = []
    for target in targets:
        target = Path(target)
        real = _real_target(target, force)
        key = _identity(real) or os.path.realpath(real)
        if key in seen:
            raise OutputError(f"{target} is given for two outputs of this run (also as "
                              f"{seen[key]}); give each output its own path")
        if key in input_keys:
            raise OutputError(f"output {target} is an input of this run ({input_keys[key]}); "
                              "choose another output path")
        seen[key] = target
        real_paths.append(real)
    return real_paths


def _real_target(target: Path, force: bool) -> Path:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return Path(os.path.abspath(target))
    except OSError as exc:
        raise OutputError(f"cannot use {target} as an output ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        pointed = Path(os.path.realpath(target))
        if not force:
            raise OutputError(f"output {target} is a symlink to {pointed}; pass --force to "
                              "replace the file it points to, or choose another path")
        try:
            info = os.stat(pointed)
        except FileNotFoundError:
            return pointed
        except OSError as exc:
            raise OutputError(f"cannot use {target} as an output ({exc.strerror})") from None
        target = pointed
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"output {target} is a directory; give a file path")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"output {target} is a special file (FIFO, device or socket); "
                          "the planner only replaces regular files")
    return Path(os.path.abspath(target))


def _identity(path: Path) -> str | None:
    """A key equal for two paths naming the same file (hard links and symlinks included)."""
    try:
        info = os.stat(path)
        return f"{info.st_dev}:{info.st_ino}"
    except OSError:
        return None if not str(path) else os.path.realpath(path)


def inputs_of(*paths: object, mapping: Mapping | None = None) -> list[Path]:
    """The existing files among ``paths`` (strings such as sample names are skipped)."""
    found = []
    for value in [*paths, *((mapping or {}).values())]:
        if isinstance(value, (str, os.PathLike)) and str(value) and os.path.isfile(value):
            found.append(Path(value))
    return found
