"""Running one process and measuring it from outside: wall time, the peak resident memory of
its process tree, the peak size of a temp folder; and what machine it ran on."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def _folder_bytes(folder: Path | None) -> int:
    """The bytes of the files under a folder (0 when it does not exist); files that vanish
    while it is walked do not count."""
    if folder is None or not folder.exists():
        return 0
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total


@dataclass
class Measured:
    """What one measured process did: status (ok, failed, killed, timeout), wall seconds,
    peak resident GB, the peak GB of its temp folder (0.0 when none was watched) and its
    output."""
    status: str
    wall: float
    peak_gb: float
    peak_temp_gb: float
    out: str
    err: str


def run_measured(command: list[str], *, cap_gb: float, timeout_s: float, env: dict[str, str],
                 cwd: Path | None = None, temp_dir: Path | None = None) -> Measured:
    """Run `command` and measure it. Peak memory is the kernel's maximum resident size of
    the process (wait4), or the largest sampled size of its process tree when that is
    larger; above cap_gb the tree is killed, as it is after timeout_s. With temp_dir, the
    largest size its files reached is sampled too."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=cwd, start_new_session=True)
        status, sampled_peak, temp_peak, polls = "ok", 0, 0, 0
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = _tree_rss_bytes(proc.pid)
            sampled_peak = max(sampled_peak, rss)
            polls += 1
            if temp_dir is not None and polls % 4 == 0:  # every 0.2 s: a walk costs more than a read of /proc
                temp_peak = max(temp_peak, _folder_bytes(temp_dir))
            if rss > cap_gb * 1e9 or time.perf_counter() - started > timeout_s:
                status = "killed" if rss > cap_gb * 1e9 else "timeout"
                os.killpg(proc.pid, signal.SIGKILL)
                pid, wait_status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        if status == "ok" and proc.returncode != 0:
            status = "failed"
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    peak = max(usage.ru_maxrss * 1024, sampled_peak) / 1e9
    return Measured(status, wall, peak, temp_peak / 1e9, out, err)


def child_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    # run every contender as a normal install would: with Python's bytecode caches
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NUMBA_NUM_THREADS"] = str(threads)
    return env


def machine() -> dict[str, str]:
    import duckdb

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "")
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg())}
