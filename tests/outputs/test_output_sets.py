"""Output sets: whole old set or whole new set, whatever moment the writer is killed at."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from planner import _io, _paths
from planner.errors import OutputError, PlannerError

ROOT = Path(__file__).resolve().parents[2]

# The writer imports planner._io without planner/__init__ (so a run takes milliseconds).
WRITER = textwrap.dedent("""
    import sys, types
    from pathlib import Path
    package = types.ModuleType("planner")
    package.__path__ = [sys.argv[1] + "/planner"]
    sys.modules["planner"] = package
    from planner import _io
    gen, base, size = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    targets = [base / "maps" / "map.html", base / "maps" / "report.json",
               base / "tables" / "sites.csv", base / "tables" / "sites.geojson"]
    _io.write_all({t: (lambda p, t=t: p.write_text(f"{gen} {t.name}\\n" + "x" * size))
                   for t in targets})
""")
TARGETS = ["maps/map.html", "maps/report.json", "tables/sites.csv", "tables/sites.geojson"]


def _writer(base: Path, gen: str, *, kill_at: int | None = None, size: int = 10,
            wait: bool = True):
    env = {**os.environ}
    env.pop("PLANNER_IO_KILL_AT", None)
    if kill_at is not None:
        env["PLANNER_IO_KILL_AT"] = str(kill_at)
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), gen, str(base),
                                str(size)], env=env)
    if wait:
        process.wait(timeout=60)
    return process


def _generations(base: Path) -> set[str | None]:
    found = set()
    for name in TARGETS:
        path = base / name
        found.add(path.read_text().split(" ", 1)[0] if path.exists() else None)
    return found


def _leftovers(base: Path) -> list[str]:
    return [str(p) for p in base.rglob(f"{_io.STAGE_PREFIX}*")]


def _check_after_kill(base: Path, old: str, new: str) -> str:
    before = _generations(base)
    if len(before) > 1:  # a torn set on disk is only allowed once the journal is committed
        assert any(base.rglob("commit.json")), before
    for folder in ("maps", "tables"):
        _io.recover(base / folder)
    after = _generations(base)
    assert after in ({old}, {new}), after
    assert not _leftovers(base)
    return after.pop()


def test_a_writer_killed_at_every_step_leaves_the_old_or_the_new_set(tmp_path):
    outcomes = []
    for step in range(1, 40):
        base = tmp_path / f"run{step}"
        _writer(base, "old")
        assert _generations(base) == {"old"}
        process = _writer(base, "new", kill_at=step)
        if process.returncode == 0:  # ran past the last step
            assert _generations(base) == {"new"} and not _leftovers(base)
            break
        assert process.returncode == -signal.SIGKILL
        outcomes.append(_check_after_kill(base, "old", "new"))
    else:
        pytest.fail("the writer never finished")
    # both outcomes happen: early kills keep the old set, late ones complete the new one
    assert outcomes.count("old") >= 4 and outcomes.count("new") >= 4, outcomes


def test_random_timed_kills_never_tear_a_set(tmp_path):
    rng = random.Random(12)
    base = tmp_path / "out"
    _writer(base, "g0")
    current = "g0"
    for run in range(1, 13):
        new = f"g{run}"
        process = _writer(base, new, size=3_000_000, wait=False)
        time.sleep(rng.uniform(0.02, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        current = _check_after_kill(base, current, new)


def test_the_next_write_cleans_up_and_completes(tmp_path):
    base = tmp_path / "out"
    _writer(base, "old")
    _writer(base, "new", kill_at=2)  # killed while staging: uncommitted leftovers
    assert _leftovers(base)
    _io.write_all({base / "maps" / "other.txt": lambda p: p.write_text("x")})
    assert not list((base / "maps").glob(f"{_io.STAGE_PREFIX}*"))
    assert _generations(base) == {"old"}


def test_a_failing_writer_changes_nothing(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    _io.write_all({first: lambda p: p.write_text("1"), second: lambda p: p.write_text("1")})

    def boom(path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _io.write_all({first: lambda p: p.write_text("2"), second: boom})
    assert first.read_text() == second.read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_recovery_leaves_a_live_writer_alone(tmp_path):
    started = tmp_path / "started"

    def slow(path):
        path.write_text("new")
        started.write_text("")
        time.sleep(0.5)

    import threading

    thread = threading.Thread(target=_io.write_all, args=({tmp_path / "x": slow},))
    thread.start()
    while not started.exists():
        time.sleep(0.01)
    assert _io.recover(tmp_path) == []
    thread.join()
    assert (tmp_path / "x").read_text() == "new"


# --------------------------------------------------------------------------- refused outputs


def test_refused_outputs_write_nothing(tmp_path):
    good = tmp_path / "map.html"
    (tmp_path / "folder").mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    layer = tmp_path / "stations.csv"
    layer.write_text("lon,lat\n1,2\n")
    link = tmp_path / "link.html"
    link.symlink_to(layer)
    cases = {
        "two outputs": ({good: "", tmp_path / "folder" / ".." / "map.html": ""}, {}),
        "input": ({good: "", layer: ""}, {"inputs": [layer]}),
        "directory": ({good: "", tmp_path / "folder": ""}, {}),
        "fifo": ({good: "", fifo: ""}, {}),
        "symlink": ({good: "", link: ""}, {}),
        "device": ({good: "", Path("/dev/null"): ""}, {}),
    }
    for label, (targets, options) in cases.items():
        with pytest.raises(OutputError):
            _io.write_all({t: (lambda p: p.write_text("x")) for t in targets}, **options)
        assert not good.exists(), label
        assert layer.read_text() == "lon,lat\n1,2\n"
    assert not _leftovers(tmp_path)


def test_force_writes_through_a_symlink_and_keeps_it(tmp_path):
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    with _io.output_policy(force=True):
        _io.write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    with _io.output_policy(force=True, inputs=[real]), pytest.raises(OutputError):
        _io.write_text(link, "newer")  # the link leads to an input


def test_hard_link_to_an_input_is_the_input(tmp_path):
    layer = tmp_path / "demand.csv"
    layer.write_text("lon,lat\n")
    os.link(layer, tmp_path / "copy.csv")
    with pytest.raises(OutputError, match="input"):
        _paths.check_outputs([tmp_path / "copy.csv"], inputs=[layer])


# --------------------------------------------------------------------------- checked caches


def test_checked_cache_detects_tampering(tmp_path):
    path = tmp_path / "cache.npz"
    _io.write_checked(path, b"abc" * 100)
    assert _io.read_checked(path) == b"abc" * 100
    data = bytearray(path.read_bytes())
    data[5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning, match="checksum"):
        assert _io.read_checked(path) is None
    path.with_name("cache.npz.sha256").unlink()
    with pytest.warns(RuntimeWarning):
        assert _io.read_checked(path) is None


# --------------------------------------------------------------------------- slugs

HOSTILE = ["../../x", "/etc/passwd", "..", ".", "", "a/b\\c", "CON", "nul.txt", "x\x00y",
           "\u202etxt.exe", "a" * 400, "海" * 200, "🚲", "  ", "map", "Map", "-"]


def test_slugs_stay_one_safe_component():
    for name in HOSTILE:
        stem = _paths.slug(name)
        assert stem and "/" not in stem and "\\" not in stem and "\x00" not in stem
        assert not stem.startswith(".") and stem not in {"con", "nul"}
        assert len(stem.encode()) <= _paths.MAX_SLUG_BYTES + 1
        assert (Path("/out") / stem).resolve().parent == Path("/out")
    assert _paths.slug("海淀 北下关") == "海淀-北下关"
    assert _paths.slug("a" * 400) != _paths.slug("a" * 399 + "b")


def test_slug_collisions_name_both():
    with pytest.raises(OutputError, match="'Haidian'.*'haidian'"):
        _paths.file_names(["haidian", "Haidian"], what="district")
    with pytest.raises(OutputError, match="'Map'.*'map.html'"):
        _paths.file_names(["Map"], suffix=".html", reserved=["map.html"], what="scenario")
    assert isinstance(OutputError("x"), PlannerError)


def test_a_killed_coverage_command_leaves_a_whole_set(tmp_path):
    """The real command, killed mid-rename (map new, report old on disk) and while staging."""
    import json

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PLANNER_IO_KILL_AT", None)
    out = tmp_path / "maps"

    def run(minutes: str, kill_at: int | None = None) -> int:
        extra = {} if kill_at is None else {"PLANNER_IO_KILL_AT": str(kill_at)}
        return subprocess.run(
            [sys.executable, "-m", "planner", "-q", "coverage", "--mode", "walk", "--minutes",
             minutes, "--no-per-station", "--map", str(out / "c.html")],
            env={**env, **extra}, cwd=tmp_path, capture_output=True, timeout=300).returncode

    def minutes_in_set() -> set[str]:
        report = json.loads((out / "c.json").read_text())
        page = (out / "c.html").read_text()
        found = {f"{m:g}" for m in report["results"][0]["summary"]["thresholds_min"]}
        return found | {m for m in ("10", "12") if f"within {m} min of a station" in page}

    assert run("10") == 0
    assert run("12") == 0  # both settings' caches warm: the kill steps below are stable
    now, torn_seen, completed = minutes_in_set(), False, False
    for kill_at in range(1, 60):  # every step of the command's writes, until it finishes
        new = "10" if now == {"12"} else "12"
        code = run(new, kill_at)
        if code == 0:
            break
        assert code == -signal.SIGKILL
        torn_seen |= len(minutes_in_set()) == 2  # killed mid-rename: mixed until recovery
        _io.recover(out)
        assert not _leftovers(tmp_path)
        before, now = now, minutes_in_set()
        assert now in ({"10"}, {"12"}), now  # a whole set, old or new
        completed |= now != before
    else:
        raise AssertionError("the command never finished")
    assert torn_seen and completed  # some kills hit the renames; recovery completed the set
