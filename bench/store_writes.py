"""Bytes the state store writes to disk: per committed poll, per unchanged poll, per day.

A day of polls at the default settings (poll every 60 s, checkpoint 5 min, traffic every
minute) runs on an injected clock in a temporary directory. The main figure is the kernel's
``write_bytes`` for this process (/proc/self/io): bytes sent, or bound, to the block device,
counted a 4 KiB page at a time when a page turns dirty. After every poll the store's files
are fsync'd, as the kernel's flusher would do in the minute between two real polls; without
it, pages dirtied by several fast simulated polls would be counted once and the figure would
flatter the store. Where ``write_bytes`` stays 0 (some containers and filesystems do not
account it) the figure falls back to the bytes SQLite appended to its WAL (frames × (page
size + 24)), which the output names as the source.

``--meta`` adds the facts the poll pipeline sets at every poll: ``none`` (the ledger alone),
``eager`` (the ~1 KB last status, the alert book and the streaks, as plain ``set_meta``, and a
forced heartbeat every 6 h) or ``lazy`` (the same with the status and the alert book set
``lazy=True``, as they are meant to be).

    python bench/store_writes.py [--json] [--days N] [--meta none|eager|lazy]

The last line with ``--json`` is ``{"bytes_per_changed_poll": …, "bytes_per_unchanged_poll":
…, "bytes_per_day": …, …}``. Targets: ≤ 16384, 0, ≤ 2 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.ledger import Reading
from agent.store import FILENAME, StateStore

POLL = 60.0
CHECKPOINT = 300.0
HEARTBEAT = 6 * 3600.0
TZ = timezone(timedelta(hours=8))
ICCID = "89860412345678901234"


def write_bytes() -> int:
    with open("/proc/self/io") as io:
        for line in io:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def sync_files(state_dir: Path) -> None:
    """Push dirty pages of the store's files to disk, as the flusher would between polls."""
    for name in (FILENAME, FILENAME + "-wal", FILENAME + "-shm"):
        path = state_dir / name
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def bytes_per_dirtied_page(directory: Path) -> int:
    """What this kernel charges to write_bytes for dirtying one clean page of a file."""
    scratch = directory / "page-probe"
    fd = os.open(scratch, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.write(fd, b"\0" * 4096)
        os.fsync(fd)
        before = write_bytes()
        os.pwrite(fd, b"x", 0)
        charged = write_bytes() - before
        os.fsync(fd)
    finally:
        os.close(fd)
        scratch.unlink()
    return charged


def wal_frames(state_dir: Path) -> int:
    """Frames in the WAL since its last restart: those that carry the header's salts.

    Read from the WAL itself: the store keeps no -shm index file to read a count from.
    """
    wal = state_dir / (FILENAME + "-wal")
    if not wal.exists():
        return 0
    data = wal.read_bytes()
    if len(data) < 32:
        return 0
    page_size = int.from_bytes(data[8:12], "big")
    salts = data[16:24]
    frames, offset = 0, 32
    while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salts:
        frames += 1
        offset += 24 + page_size
    return frames


def db_page_size(state_dir: Path) -> int:
    """From the database header (offset 16, big-endian; 1 means 65536)."""
    with open(state_dir / FILENAME, "rb") as f:
        header = f.read(18)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def status_json(now: datetime) -> str:
    """A status object of the size the pipeline stores (about 1 KB); its time changes."""
    return json.dumps(
        {
            "time": now.isoformat(timespec="seconds"),
            "status": "ok",
            "port": "/dev/ttyUSB2",
            "modem": {"manufacturer": "Quectel", "model": "EC25", "imei": "861234567890123"},
            "sim": {"state": "ready", "iccid": ICCID, "imsi": "460001234567890"},
            "registration": {"state": "home", "rat": "lte", "operator": "46000"},
            "signal": {"rssi_dbm": -71, "rsrp_dbm": -98, "rsrq_db": -11, "sinr_db": 9.4},
            "counters": {"source": "modem", "rx_bytes": 123456789, "tx_bytes": 23456789},
            "plan": {
                "name": "prepaid-1g",
                "quota_bytes": 1073741824,
                "used_bytes": 146913578,
                "remaining_bytes": 926828246,
                "cycle_start": "2026-11-01",
                "cycle_end": "2026-11-30",
                "expires": "2026-12-31",
                "days_to_expiry": 38,
                "forecast_exhausted": None,
            },
            "findings": [
                {
                    "code": "signal_weak",
                    "severity": "warning",
                    "message": "Signal is weak (-109 dBm) for 5 polls.",
                }
            ],
        }
    )


def alert_book_json(now: datetime) -> str:
    """An alert book with nothing standing: only ``last_poll`` changes from poll to poll."""
    return json.dumps({"alerts": [], "last_poll": now.isoformat(), "seq": 3, "version": 1})


def run(days: int, checkpoint: float = CHECKPOINT, meta: str = "none") -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="posagent-bench-", dir=os.getcwd()) as tmp:
        state_dir = Path(tmp)
        page_charge = bytes_per_dirtied_page(state_dir)
        start = datetime(2026, 11, 23, 0, 0, tzinfo=TZ)
        clock = FakeClock(start.timestamp())
        store = StateStore.open(state_dir, clock=clock, checkpoint=checkpoint)
        page_size = db_page_size(state_dir)
        rx = tx = 1_000_000
        mono = 1000.0
        last_heartbeat = clock.now

        beats = 0

        def poll(i: int, traffic: bool) -> tuple[int, bool, int]:
            nonlocal rx, tx, mono, last_heartbeat, beats
            if traffic:
                rx += 40_000 + (i * 7919) % 20_000
                tx += 9_000 + (i * 104729) % 3_000
            clock.now += POLL
            mono += POLL
            reading = Reading(
                iccid=ICCID,
                source="modem",
                rx_bytes=rx,
                tx_bytes=tx,
                wall_time=datetime.fromtimestamp(clock.now, TZ),
                monotonic=mono,
                boot_id="boot-1",
            )
            frames_before = wal_frames(state_dir)
            before = write_bytes()
            committed = store.account(reading, TZ).committed
            if meta != "none":
                now = reading.wall_time
                # eager: exactly the calls poll.py makes today
                lazy = {"lazy": True} if meta == "lazy" else {}
                committed |= store.set_meta("streaks", '{"not_registered": 0, "signal_weak": 0}')
                committed |= store.set_meta("last_status", status_json(now), **lazy)
                committed |= store.set_meta("alerts", alert_book_json(now), **lazy)
                if clock.now - last_heartbeat >= HEARTBEAT:
                    last_heartbeat = clock.now
                    beats += 1
                    committed |= store.set_meta("last_heartbeat", now.isoformat(), force=True)
            sync_files(state_dir)
            frames_after = wal_frames(state_dir)
            frames = frames_after - frames_before if frames_after >= frames_before else frames_after
            return write_bytes() - before, committed, frames

        poll(0, traffic=True)  # the baseline, committed at once
        sync_files(state_dir)

        polls_per_day = int(86400 / POLL)
        day_bytes = day_wal = commits = 0
        commit_bytes: list[int] = []
        for i in range(1, polls_per_day * days + 1):
            written, committed, frames = poll(i, traffic=True)
            day_bytes += written
            day_wal += frames * (page_size + 24)
            if committed:
                commits += 1
                commit_bytes.append(written)

        unchanged: list[int] = []
        store.flush()  # what the last traffic polls left pending is not an unchanged poll's
        sync_files(state_dir)
        for i in range(60):
            beats_before = beats
            written, committed, _ = poll(i, traffic=False)
            if beats != beats_before:
                continue  # a heartbeat is a forced commit of a new fact, not an unchanged poll
            # As poll.py sets them today, the status and alert book commit every checkpoint.
            assert meta == "eager" or not committed
            unchanged.append(written)

        size = sum(
            (state_dir / n).stat().st_size
            for n in (FILENAME, FILENAME + "-wal")
            if (state_dir / n).exists()
        )
        store.close()

    accounted = day_bytes > 0
    source = "write_bytes" if accounted else "wal_frames"
    per_day = (day_bytes if accounted else day_wal) / days
    per_commit = sum(commit_bytes) / len(commit_bytes) if accounted else day_wal / max(commits, 1)
    return {
        "bytes_per_changed_poll": round(per_commit),
        "bytes_per_unchanged_poll": round(sum(unchanged) / len(unchanged)),
        "bytes_per_day": round(per_day),
        "source": source,
        "max_bytes_per_changed_poll": max(commit_bytes) if commit_bytes else 0,
        "wal_bytes_per_day": round(day_wal / days),
        "commits_per_day": commits / days,
        "polls_per_day": polls_per_day,
        "db_and_wal_size": size,
        "page_size": page_size,
        "checkpoint": checkpoint,
        "meta": meta,
        "write_bytes_per_dirtied_page": page_charge,
        "pages_dirtied_per_changed_poll": round(per_commit / page_charge, 2)
        if page_charge
        else None,
        "pages_dirtied_per_day": round(per_day / page_charge) if page_charge else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--checkpoint", type=float, default=CHECKPOINT, help="seconds")
    parser.add_argument("--meta", choices=("none", "eager", "lazy"), default="none")
    args = parser.parse_args(argv)
    result = run(args.days, args.checkpoint, args.meta)
    print(f"figure from: {result['source']}")
    print(f"bytes per committed poll: {result['bytes_per_changed_poll']} (target <= 16384)")
    print(f"bytes per unchanged poll: {result['bytes_per_unchanged_poll']} (target 0)")
    print(f"bytes per day:            {result['bytes_per_day']} (target <= 2000000)")
    print(f"WAL bytes per day:        {result['wal_bytes_per_day']}")
    print(f"commits per day:          {result['commits_per_day']:g}")
    print(
        f"write_bytes per page dirtied on this kernel: {result['write_bytes_per_dirtied_page']}"
        f" ({result['pages_dirtied_per_changed_poll']} pages per commit)"
    )
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
