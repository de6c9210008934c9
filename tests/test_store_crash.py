"""SIGKILL at random moments during writes: the store is never corrupt and never loses a
committed reading, and the committed usage always matches the committed baseline.

A forked child opens the store and commits readings as fast as it can, writing the committed
total to a pipe after each commit returns; the parent kills it after a random short delay,
reopens the store and checks it. Forking (rather than starting an interpreter per kill) keeps
hundreds of kills within a few seconds. A second run checkpoints the WAL every 3 commits, so
that kills also land in checkpoints and in the commits that start the WAL over.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import agent.store as store_module
from agent.ledger import Reading
from agent.store import FILENAME, StateStore

CST = timezone(timedelta(hours=8))
SIM = "89860412345678901234"
KILLS = 300


def child(state_dir: Path, out: int, seed: int, wal_commits: int | None) -> None:
    rng = random.Random(seed)
    if wal_commits is not None:  # forked: this changes the child's module only
        store_module.WAL_COMMITS = wal_commits
    store = StateStore.open(state_dir, checkpoint=300.0)
    ledger = store.load_ledger(SIM)
    base = ledger.baseline if ledger and ledger.baseline else None
    rx = base.rx_bytes if base else 0
    tx = base.tx_bytes if base else 0
    if base is None:  # the baseline: from here on, usage == the counters
        store.account(Reading(SIM, "modem", 0, 0, datetime.now(CST), 0.0, "boot"), CST)
    seq = 0
    while True:
        seq += 1
        rx += rng.randrange(1, 100_000)
        tx += rng.randrange(1, 10_000)
        wall = datetime(2026, 11, 23, tzinfo=CST) + timedelta(hours=seq % 240)
        reading = Reading(SIM, "modem", rx, tx, wall, time.monotonic(), "boot")
        result = store.account(reading, CST, force=True)
        if result.committed:
            total = result.ledger.total()
            os.write(out, f"{total}\n".encode())
        if seq % 50 == 0:
            store.set_meta("last_status", f"poll {seq}", force=True)
        elif seq % 7 == 0:
            store.set_meta("last_status", f"poll {seq}", lazy=True)


def reported(fd: int) -> int | None:
    data = b""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    lines = [line for line in data.split(b"\n")[:-1] if line]  # complete lines only
    return int(lines[-1]) if lines else None


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("wal_commits", "kills", "window"),
    [(None, KILLS, 0.03), (3, KILLS // 3, 0.06)],
    ids=["default", "checkpoint-every-3-commits"],
)
def test_sigkill_during_writes_never_corrupts_or_loses(
    tmp_path: Path, wal_commits: int | None, kills: int, window: float
) -> None:
    rng = random.Random(20261123)
    last_committed = 0
    previous_total = 0
    kills_mid_run = 0
    for i in range(kills):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns into pytest
            try:
                os.close(read_fd)
                child(tmp_path, write_fd, i, wal_commits)
            finally:
                os._exit(1)
        os.close(write_fd)
        time.sleep(rng.uniform(0.002, window))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        got = reported(read_fd)
        os.close(read_fd)
        if got is not None:
            last_committed = got
            kills_mid_run += 1

        conn = sqlite3.connect(tmp_path / FILENAME)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        store = StateStore.open(tmp_path)
        assert store.recovered_from is None
        ledger = store.load_ledger(SIM)
        total = ledger.total() if ledger else 0
        store._conn.close()  # read only: leave the file as the kill left it
        if ledger is not None and ledger.baseline is not None:
            # Baseline and usage are committed together: neither is ever ahead of the other.
            assert total == ledger.baseline.rx_bytes + ledger.baseline.tx_bytes, f"kill {i}"
        assert total >= last_committed, f"kill {i}: lost committed usage"
        assert total >= previous_total, f"kill {i}: usage went backwards"
        previous_total = total
    assert kills_mid_run > kills // 2  # most kills landed while the child was committing
    assert previous_total > 0
