"""Shared by the bench scripts: run a child process and measure its own wall time and peak RSS.

The peak memory is the child's own maximum resident set size, taken from ``os.wait4`` on that
one process (the kernel's rusage of the child and of the processes it waited for), so the
parent's memory and that of other children never mix in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass


@dataclass(frozen=True)
class ChildRun:
    """What one child process did: exit code, wall seconds, peak RSS (MB), its output."""

    returncode: int
    wall_s: float
    peak_mb: float
    stdout: str
    stderr: str
    cpu_s: float = 0.0  # user + system CPU seconds of the child (and what it waited for)

    def result(self) -> dict | None:
        """The JSON after the last ``RESULT `` line the child printed, if any."""
        for line in reversed(self.stdout.splitlines()):
            if "RESULT " in line:  # some tools print progress without a newline
                return json.loads(line.split("RESULT ", 1)[1])
        return None


#: The launcher: a tiny Python (no site, no imports beyond os/sys/time) forks and execs the
#: command and reports the child's wall time and rusage. Linux carries the max RSS of the
#: process that forks across exec, so the command is forked from this small launcher, never
#: from the (large) benchmark process itself.
LAUNCHER = """
import os, sys, time
report, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {wall!r} {usage.ru_maxrss} "
                 f"{usage.ru_utime + usage.ru_stime!r}")
"""


def run(command: list[str], *, env: dict | None = None, cwd: str | None = None,
        timeout_s: float | None = None) -> ChildRun:
    """Run ``command``; wall time and peak RSS of that child alone (``os.wait4``)."""
    with tempfile.TemporaryDirectory(prefix="bench-child-") as folder:
        report = os.path.join(folder, "rusage")
        out_path, err_path = os.path.join(folder, "out"), os.path.join(folder, "err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            launcher = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", LAUNCHER, report, *command],
                stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
            try:
                launcher.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's own session only
                launcher.wait()
        with open(out_path) as out, open(err_path) as err:
            stdout, stderr = out.read(), err.read()
        if not os.path.exists(report):
            return ChildRun(-9, float(timeout_s or 0), 0.0, stdout, stderr + "\ntimed out")
        code, wall, maxrss_kb, cpu = open(report).read().split()
        return ChildRun(int(code), float(wall), int(maxrss_kb) / 1024, stdout, stderr,
                        float(cpu))


def load() -> str:
    """The machine's 1/5/15-minute load averages, to print beside every figure."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f} on {os.cpu_count()} cpus"
