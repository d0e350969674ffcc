"""Output files written as one set: staged beside the targets, committed by a journal.

How a set of outputs is replaced (``write_all``):

1. Every target is checked (``_paths.check_outputs``): no two outputs are the same file,
   none is an input of the run, a directory, a FIFO/device/socket, or (without ``force``) a
   symlink.
2. Leftovers of earlier killed runs in the targets' folders are recovered (``recover``).
3. Each file is written into a staging folder ``.planner-txn-*`` in its target's folder (same
   file system, so the final rename is atomic), flushed to disk.
4. **Commit point**: the journal ``commit.json`` (the list of staged -> target renames) is
   renamed into the primary staging folder. Before it exists, the old set is untouched; after
   it exists, the new set is the truth.
5. Each staged file is renamed over its target; the staging folders are removed.

A run killed before step 4 leaves the old set and a staging folder that the next run (or
``recover``) deletes; a run killed after step 4 leaves a journal that the next run replays, so
the new set is completed. A writer holds an ``flock`` on each of its staging folders, so
recovery never touches a transaction that is still running. Between a kill in step 5 and the
next run, a program that reads the files directly (a browser) may see some new and some old
files; every planner command recovers first, so the planner itself always reads a whole set.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from planner._paths import check_outputs

__all__ = ["write_text", "write_all", "recover", "output_policy", "also_inputs", "OutputPolicy",
           "write_checked", "read_checked", "STAGE_PREFIX"]

STAGE_PREFIX = ".planner-txn-"
_JOURNAL = "commit.json"
_PRIMARY = "primary"
_LOCK = "lock"


@dataclass(frozen=True)
class OutputPolicy:
    """What a run may write over: its input files are never outputs; ``force`` allows
    writing through a symlink (the file it points to is replaced, the link kept)."""

    inputs: tuple[Path, ...] = ()
    force: bool = False


_policy: contextvars.ContextVar[OutputPolicy] = contextvars.ContextVar(
    "planner_output_policy", default=OutputPolicy())


@contextlib.contextmanager
def output_policy(*, inputs: Iterable[str | os.PathLike | None] = (),
                  force: bool = False) -> Iterator[OutputPolicy]:
    """Within the block, every ``write_all`` refuses to write over ``inputs`` and follows
    symlinks only when ``force`` is true."""
    policy = OutputPolicy(tuple(Path(p) for p in inputs if p is not None and str(p)), force)
    token = _policy.set(policy)
    try:
        yield policy
    finally:
        _policy.reset(token)


def also_inputs(paths: Iterable[str | os.PathLike | None]):
    """The current policy with more input files (``force`` unchanged)."""
    current = _policy.get()
    return output_policy(inputs=[*current.inputs, *paths], force=current.force)


# --------------------------------------------------------------------------- test hook

_steps = 0


def _step() -> None:
    """Test hook: ``PLANNER_IO_KILL_AT=N`` kills this process (SIGKILL) at the N-th step."""
    global _steps
    target = os.environ.get("PLANNER_IO_KILL_AT")
    if not target:
        return
    _steps += 1
    if str(_steps) == target:
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- writing


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return write_all({Path(path): lambda p: p.write_text(text, encoding="utf-8")})[0]


def write_all(writers: Mapping[Path, Callable[[Path], object]], *,
              inputs: Iterable[str | os.PathLike | None] = (),
              force: bool | None = None) -> list[Path]:
    """Write several outputs as one set: either all of them are replaced or none is.

    Each writer is called with a temporary path in a staging folder beside its target; when
    every writer has succeeded the set is committed (see the module docstring). ``inputs``
    and ``force`` add to the :func:`output_policy` in effect.

    Returns the paths as given (symlinks followed only for writing).
    """
    policy = _policy.get()
    targets = [Path(t) for t in writers]
    real = check_outputs(targets, inputs=[*policy.inputs, *inputs],
                         force=policy.force if force is None else force)
    folders = list(dict.fromkeys(t.parent for t in real))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        recover(folder)
    with _staging(folders) as stage:
        pairs = []
        for index, (target, writer) in enumerate(zip(real, writers.values())):
            staged = stage[target.parent] / f"{index}-{target.name}"
            writer(staged)
            if not staged.is_file():
                raise RuntimeError(f"writer for {target} did not create its file")
            os.chmod(staged, 0o644)
            _fsync_file(staged)
            pairs.append((staged, target))
            _step()
        primary = stage[folders[0]]
        _commit(primary, pairs, [stage[f] for f in folders])
        _roll_forward(primary)
    return targets


@contextlib.contextmanager
def _staging(folders: list[Path]) -> Iterator[dict[Path, Path]]:
    """One locked staging folder per target folder; removed unless the set was committed."""
    stage: dict[Path, Path] = {}
    locks = []
    try:
        for folder in folders:
            staging = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=folder))
            locks.append(_lock(staging, blocking=True))
            stage[folder] = staging
            if stage[folders[0]] != staging:
                (staging / _PRIMARY).write_text(str(stage[folders[0]]), encoding="utf-8")
            _step()
        yield stage
    except BaseException:
        for staging in stage.values():
            if not (staging / _JOURNAL).exists():
                shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        for handle in locks:
            handle.close()


def _commit(primary: Path, pairs: list[tuple[Path, Path]], folders: list[Path]) -> None:
    journal = {"renames": [[str(s), str(t)] for s, t in pairs],
               "folders": [str(f) for f in folders]}
    tmp = primary / (_JOURNAL + ".tmp")
    tmp.write_text(json.dumps(journal), encoding="utf-8")
    _fsync_file(tmp)
    _step()
    os.replace(tmp, primary / _JOURNAL)  # the commit point
    _fsync_dir(primary)
    _step()


def _roll_forward(primary: Path) -> None:
    """Move every staged file of a committed set in place, then drop the staging folders."""
    journal = json.loads((primary / _JOURNAL).read_text(encoding="utf-8"))
    for staged, target in journal["renames"]:
        if os.path.lexists(staged):
            os.replace(staged, target)
            _step()
    for folder in {os.path.dirname(t) for _, t in journal["renames"]}:
        _fsync_dir(Path(folder))
    folders = [Path(f) for f in journal["folders"]]
    for folder in folders[1:] + folders[:1]:  # the journal goes last
        shutil.rmtree(folder, ignore_errors=True)
        _step()


# --------------------------------------------------------------------------- recovery


def recover(folder: str | os.PathLike) -> list[Path]:
    """Finish or undo what killed runs left in ``folder``; return the staging folders handled.

    A committed set is completed (its journal replayed); an uncommitted one is deleted.
    Folders still locked by a running writer are left alone.
    """
    handled = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return handled
    for entry in entries:
        if not (entry.name.startswith(STAGE_PREFIX) and entry.is_dir(follow_symlinks=False)):
            continue
        staging = Path(entry.path)
        handle = _lock(staging, blocking=False)
        if handle is None:
            continue  # a live writer
        with handle:
            primary = staging
            if (staging / _PRIMARY).is_file():
                primary = Path((staging / _PRIMARY).read_text(encoding="utf-8"))
            if primary != staging and primary.is_dir():
                other = _lock(primary, blocking=False)
                if other is None:
                    continue
                with other:
                    _finish(primary)
            else:
                _finish(primary)
            shutil.rmtree(staging, ignore_errors=True)
        handled.append(staging)
    return handled


def _finish(primary: Path) -> None:
    if (primary / _JOURNAL).is_file():
        try:
            _roll_forward(primary)
            return
        except (OSError, ValueError, KeyError) as exc:
            warnings.warn(f"could not complete the interrupted output set in {primary}: {exc}",
                          RuntimeWarning, stacklevel=3)
    shutil.rmtree(primary, ignore_errors=True)


def _lock(staging: Path, *, blocking: bool):
    try:
        handle = open(staging / _LOCK, "a+b")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        handle.close()
        return None
    return handle


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- checked caches


def write_checked(path: str | os.PathLike, data: bytes) -> Path:
    """Write a cache file and its SHA-256 (``<file>.sha256``) together, as one set."""
    path = Path(path)
    digest = hashlib.sha256(data).hexdigest()
    write_all({path: lambda p: p.write_bytes(data),
               _checksum_path(path): lambda p: p.write_text(digest + "\n", encoding="ascii")})
    return path


def read_checked(path: str | os.PathLike, *, what: str = "cache") -> bytes | None:
    """The bytes of a cache file if its stored checksum matches; None (with a warning) if the
    file is missing, its checksum is missing or it does not match (then rebuild it)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        expected = _checksum_path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        expected, data = "", b""
    if not expected or hashlib.sha256(data).hexdigest() != expected:
        why = ("has no checksum beside it (written by an older version?)" if not expected
               else "does not match its checksum (corrupted or changed)")
        warnings.warn(f"{what} {path} is unreadable: it {why}; rebuilding it",
                      RuntimeWarning, stacklevel=3)
        return None
    return data


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")
