"""The daemon's footprint: steady RSS, CPU time per poll, and the start-up cost of `check`.

`posagent run` is started as a subprocess against a modem (by default the in-process
simulated ``sim://quectel``, whose own work then counts as the daemon's; ``--port`` takes a
pty from `posagent simulate` to leave it out) with a short poll interval. Polls are counted
exactly on a systemd notify socket owned by this script: the daemon sends one STATUS= per
poll, so no debug logging has to run (and be paid for) to count them.

* RSS: ``VmRSS`` from /proc/PID/status after the warm-up polls.
* CPU per poll: utime + stime from /proc/PID/stat across N polls after the warm-up,
  divided by N (clock-tick resolution, hence the many polls).
* `posagent check --port sim://quectel` wall time beside a bare ``python -c "import
  serial"``, both the median of several runs taken alternately in this one run.

    .venv/bin/python bench/footprint.py [--polls N] [--interval S] [--runs R] [--port P]
                                        [--json]

The last line with ``--json``: {"rss_mb": …, "cpu_ms_per_poll": …, "check_vs_bare_python": …}.
Targets: ≤ 30 MB, ≤ 5 ms, ≤ 3.

Every Python started here may write bytecode (to a temporary PYTHONPYCACHEPREFIX, not the
tree), even where PYTHONDONTWRITEBYTECODE is set: an installed package has its .pyc files,
and compiling every module at each start would be measured instead of the agent.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"rss_mb": 30.0, "cpu_ms_per_poll": 5.0, "check_vs_bare_python": 3.0}
WARM_UP_POLLS = 5


def python_env(pycache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("WATCHDOG_USEC", None)
    return {**env, "PYTHONPYCACHEPREFIX": str(pycache), **extra}


def write_config(tmp: Path, port: str, interval: float) -> Path:
    config = tmp / "config.yaml"
    config.write_text(
        f"state_dir: {tmp / 'state'}\n"
        f"poll_interval: {interval}\n"
        "checkpoint: 5m\n"
        "modem:\n"
        f"  port: {port}\n"
        "  interface: null\n",
        encoding="utf-8",
    )
    return config


def read_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def read_cpu_s(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the ")" closing the command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class PollCounter:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET: READY, then STATUS per poll."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.polls = 0

    def wait_polls(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.polls < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"only {self.polls} of {n} polls within {timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                message = self.sock.recv(4096).decode("utf-8", "replace")
            except TimeoutError:
                continue
            if "STATUS=" in message:
                self.polls += 1

    def close(self) -> None:
        self.sock.close()


def measure_daemon(
    port: str, interval: float, polls: int, pycache: Path
) -> tuple[float, float, str]:
    """(RSS in MB after the warm-up, CPU ms per poll, last status line)."""
    with tempfile.TemporaryDirectory(prefix="posagent-footprint-") as tmp_name:
        tmp = Path(tmp_name)
        config = write_config(tmp, port, interval)
        counter = PollCounter(tmp / "notify.sock")
        env = python_env(pycache, NOTIFY_SOCKET=str(counter.path), POSAGENT_CONFIG="")
        log = open(tmp / "daemon.log", "w+", encoding="utf-8")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "--config", str(config), "--log-format", "json", "run"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=REPO,
            env=env,
        )
        try:
            budget = 30.0 + (WARM_UP_POLLS + polls) * interval * 3
            counter.wait_polls(WARM_UP_POLLS, budget)
            rss_kb = read_rss_kb(proc.pid)
            cpu0, start = read_cpu_s(proc.pid), counter.polls
            counter.wait_polls(start + polls, budget)
            cpu1, done = read_cpu_s(proc.pid), counter.polls - start
            rss_kb = max(rss_kb, read_rss_kb(proc.pid))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            counter.close()
            log.seek(0)
            errors = [line for line in log if '"level": "error"' in line]
            log.close()
        if proc.returncode != 0:
            raise RuntimeError(f"the daemon exited with {proc.returncode}")
        note = errors[-1].strip() if errors else "no errors logged"
        return rss_kb / 1024, (cpu1 - cpu0) * 1000 / done, note


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1, 2):  # check: Nagios codes; 3 means no modem
        raise RuntimeError(f"{cmd} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


CHECK_ARGS = ("check", "--port", "sim://quectel", "--no-report")


def check_commands() -> dict[str, list[str]]:
    """The commands timed, by name. ``*_no_pth``: the same without site's .pth files, as a
    plain `pip install .` leaves the interpreter; an editable install (this repository's
    .venv) adds a finder that imports pathlib and more at every start, to both figures."""
    site_packages = sysconfig.get_paths()["purelib"]
    paths = f"import sys; sys.path[:0] = [{str(REPO)!r}]; sys.path.append({site_packages!r}); "
    run_check = f"from agent.cli import entry; sys.argv = ['posagent', *{CHECK_ARGS!r}]; "
    return {
        "check": [sys.executable, "-m", "agent", *CHECK_ARGS],
        "bare": [sys.executable, "-c", "import serial"],
        "check_no_pth": [sys.executable, "-S", "-c", paths + run_check + "sys.exit(entry())"],
        "bare_no_pth": [sys.executable, "-S", "-c", paths + "import serial"],
    }


def measure_check(runs: int, pycache: Path) -> dict[str, float]:
    """Median wall seconds of each of `check_commands()`, run in turn so that drift in the
    machine's load hits all of them alike."""
    with tempfile.TemporaryDirectory(prefix="posagent-footprint-") as tmp_name:
        tmp = Path(tmp_name)
        config = write_config(tmp, "sim://quectel", 60.0)
        env = python_env(pycache, POSAGENT_CONFIG=str(config))
        commands = check_commands()
        for cmd in commands.values():
            timed(cmd, env)  # the first runs write .pyc files and create the store
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env))
        return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polls", type=int, default=100, help="polls measured after warm-up")
    parser.add_argument("--interval", type=float, default=0.1, help="poll interval, seconds")
    parser.add_argument("--runs", type=int, default=15, help="runs of check and of bare python")
    parser.add_argument("--port", default="sim://quectel", help="the daemon's modem port")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="posagent-pycache-") as pycache_name:
        pycache = Path(pycache_name)
        walls = measure_check(args.runs, pycache)
        rss_mb, cpu_ms, note = measure_daemon(args.port, args.interval, args.polls, pycache)
    result = {
        "rss_mb": round(rss_mb, 1),
        "cpu_ms_per_poll": round(cpu_ms, 2),
        "check_vs_bare_python": round(walls["check"] / walls["bare"], 2),
        "check_vs_bare_python_no_pth": round(walls["check_no_pth"] / walls["bare_no_pth"], 2),
    }
    print(f"daemon on {args.port}, a poll every {args.interval} s, {args.polls} polls measured")
    print(f"  steady RSS        {result['rss_mb']:6.1f} MB   (target ≤ {TARGETS['rss_mb']:g})")
    print(
        f"  CPU per poll      {result['cpu_ms_per_poll']:6.2f} ms   "
        f"(target ≤ {TARGETS['cpu_ms_per_poll']:g})"
    )
    print(f"  log               {note}")
    print(
        f"`posagent check --port sim://quectel` {walls['check'] * 1000:.0f} ms, "
        f"`python -c 'import serial'` {walls['bare'] * 1000:.0f} ms (medians of {args.runs})"
    )
    print(
        f"  ratio             {result['check_vs_bare_python']:6.2f}      "
        f"(target ≤ {TARGETS['check_vs_bare_python']:g})"
    )
    print(
        f"  without .pth files (a plain `pip install .`): check "
        f"{walls['check_no_pth'] * 1000:.0f} ms, bare {walls['bare_no_pth'] * 1000:.0f} ms, "
        f"ratio {result['check_vs_bare_python_no_pth']:.2f}"
    )
    missed = [k for k, limit in TARGETS.items() if result[k] > limit]
    print("targets: all met" if not missed else f"targets missed: {', '.join(missed)}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
