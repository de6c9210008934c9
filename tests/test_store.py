"""The state store: durability, checkpoints, recovery from bad files, migrations."""

from __future__ import annotations

import itertools
import sqlite3
import stat
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import agent.store as store_module
from agent.ledger import DayUsage, Reading, apply_reading, calibrate
from agent.store import ACTIVE_ICCID, FILENAME, PAGE_SIZE, StateStore, StoreUnavailable
from agent.store_schema import MIGRATIONS

CST = timezone(timedelta(hours=8))
SIM_A = "89860412345678901234"
SIM_B = "89860612345678901230"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=CST)


class Clock:
    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


def reading(rx: int, tx: int, at: float = 0.0, iccid: str = SIM_A, **kw: object) -> Reading:
    return Reading(
        iccid=iccid,
        source=kw.pop("source", "modem"),  # type: ignore[arg-type]
        rx_bytes=rx,
        tx_bytes=tx,
        wall_time=T0 + timedelta(seconds=at),
        monotonic=1000.0 + at,
        boot_id="boot-1",
        **kw,  # type: ignore[arg-type]
    )


def files(state_dir: Path) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in state_dir.iterdir()
        if p.name.startswith(FILENAME)
    }


def side(state_dir: Path, suffix: str) -> Path:
    return state_dir / (FILENAME + suffix)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_open_creates_a_private_wal_store(tmp_path: Path, clock: Clock) -> None:
    state_dir = tmp_path / "state" / "posagent"
    with StateStore.open(state_dir, clock=clock) as store:
        assert store.recovered_from is None
        assert store.iccids() == []
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    conn = sqlite3.connect(state_dir / FILENAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    conn.close()


def test_ledger_round_trips_exactly(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    ledger, _ = apply_reading(None, reading(1000, 100), CST)
    ledger, _ = apply_reading(ledger, reading(5000, 900, at=60), CST)
    ledger = calibrate(ledger, ledger.total(), 10_000, T0.date())
    store.record(ledger, force=True)
    store.set_meta("last_status", '{"status": "ok"}')
    store.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.load_ledger(SIM_A) == ledger
    assert again.daily_usage(SIM_A) == {T0.date(): 10_000}
    assert again.get_meta("last_status") == '{"status": "ok"}'
    assert again.get_meta("missing") is None
    assert again.load_ledger(SIM_B) is None and again.daily_usage(SIM_B) == {}
    again.close()


def test_commits_at_most_every_checkpoint_unless_forced(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock, checkpoint=300.0)
    first = store.account(reading(0, 0), CST)
    assert first.committed  # a new SIM is committed at once
    ledger = first.ledger
    committed = []
    for minute in range(1, 11):
        clock.now += 60
        ledger, _ = apply_reading(ledger, reading(minute * 1000, 0, at=minute * 60), CST)
        committed.append(store.record(ledger))
    assert committed == [False, False, False, False, True] * 2
    clock.now += 1
    ledger, _ = apply_reading(ledger, reading(99_000, 0, at=700), CST)
    assert store.record(ledger, force=True)  # an alert: at once
    assert not store.record(ledger, force=True)  # nothing changed: nothing written
    store.close()


def test_unchanged_poll_writes_nothing(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    store.account(reading(5000, 500), CST)
    before = files(tmp_path)
    for minute in range(1, 30):
        clock.now += 60
        result = store.account(reading(5000, 500, at=minute * 60), CST)
        assert result.delta.kind == "normal" and not result.committed
    assert files(tmp_path) == before
    store.close()


def test_uncommitted_traffic_is_counted_after_a_crash(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    store.account(reading(1000, 100), CST)
    clock.now += 60
    assert not store.account(reading(4000, 400, at=60), CST).committed
    store._conn.close()  # killed: no flush
    after = StateStore.open(tmp_path, clock=clock)
    assert after.load_ledger(SIM_A).total() == 0  # type: ignore[union-attr]
    result = after.account(reading(5000, 500, at=120), CST)
    assert (result.delta.rx, result.delta.tx) == (4000, 400)  # from the committed baseline
    after.close()


def test_sim_swap_detaches_and_rebaselines(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    store.account(reading(1000, 100), CST)
    clock.now += 60
    store.account(reading(3000, 300, at=60), CST)
    clock.now += 60
    swapped = store.account(reading(3500, 350, at=120, iccid=SIM_B), CST)
    assert swapped.sim_changed and swapped.committed and swapped.delta.kind == "baseline"
    assert store.load_ledger(SIM_A).baseline is None  # type: ignore[union-attr]
    clock.now += 60
    store.account(reading(9000, 900, at=180, iccid=SIM_B), CST)
    clock.now += 60
    back = store.account(reading(9100, 910, at=240), CST)
    assert back.sim_changed and back.delta.kind == "baseline"
    assert store.get_meta(ACTIVE_ICCID) == SIM_A
    store.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.iccids() == sorted([SIM_A, SIM_B])
    assert again.load_ledger(SIM_A).total() == 2200  # type: ignore[union-attr]
    assert again.load_ledger(SIM_B).total() == 6050  # type: ignore[union-attr]
    assert again.load_ledger(SIM_B).baseline is None  # type: ignore[union-attr]
    again.close()


def test_clock_stepped_back_does_not_hold_commits(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock, checkpoint=300.0)
    ledger = store.account(reading(0, 0), CST).ledger
    clock.now -= 86400  # NTP steps the clock back a day
    ledger, _ = apply_reading(ledger, reading(10, 0, at=60), CST)
    assert store.record(ledger)
    store.close()


def test_calibration_from_another_process_is_kept(tmp_path: Path, clock: Clock) -> None:
    daemon = StateStore.open(tmp_path, clock=clock)
    daemon.account(reading(0, 0), CST)
    clock.now += 60
    daemon.account(reading(6000, 1000, at=60), CST)
    daemon.flush()

    cli = StateStore.open(tmp_path, clock=clock)
    mine = cli.load_ledger(SIM_A)
    assert mine is not None
    cli.record(calibrate(mine, mine.total(), 50_000, T0.date()), force=True)
    cli.close()

    clock.now += 60
    result = daemon.account(reading(6500, 1000, at=120), CST, force=True)
    assert result.committed
    assert daemon.daily_usage(SIM_A) == {T0.date(): 50_500}
    daemon.close()
    final = StateStore.open(tmp_path, clock=clock)
    assert final.load_ledger(SIM_A).daily == {  # type: ignore[union-attr]
        T0.date(): DayUsage(6500, 1000, 43_000)
    }
    final.close()


def test_meta_is_buffered_like_readings(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    assert not store.set_meta("last_status", "a")
    assert store.set_meta("last_status", "b", force=True)
    assert not store.set_meta("last_status", "b", force=True)  # unchanged
    store._conn.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.get_meta("last_status") == "b"
    again.close()


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all, just some text left by a broken flash\n" * 20,
        b"SQLite format 3\x00" + b"\xff" * 4080,  # a header whose pages make no sense
        b"",
    ],
    ids=["text", "bad-header", "empty"],
)
def test_garbage_file_is_moved_aside(tmp_path: Path, clock: Clock, content: bytes) -> None:
    (tmp_path / FILENAME).write_bytes(content)
    with capture_logs() as logs:
        store = StateStore.open(tmp_path, clock=clock)
    if not content:  # an empty file is a valid, empty database
        assert store.recovered_from is None and logs == []
    else:
        assert store.recovered_from is not None
        assert store.recovered_from.name == f"{FILENAME}.corrupt-20261123T000000Z"
        assert store.recovered_from.read_bytes() == content
        assert [e["event"] for e in logs] == ["state_store_corrupt"]
        assert logs[0]["log_level"] == "error"
    store.account(reading(1, 1), CST)
    store.close()
    assert StateStore.open(tmp_path, clock=clock).load_ledger(SIM_A) is not None


def test_damaged_pages_are_moved_aside(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    ledger = store.account(reading(0, 0), CST).ledger
    for n in range(1, 400):  # enough day rows to spread the table over many pages
        ledger, _ = apply_reading(ledger, reading(n * 1000, n, at=n * 86400.0), CST)
    store.record(ledger, force=True)
    store.close()
    path = tmp_path / FILENAME
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 1024
    data[5 * 1024 : 7 * 1024] = b"\x5a" * 2048  # two b-tree pages overwritten
    path.write_bytes(bytes(data))
    with capture_logs() as logs:
        again = StateStore.open(tmp_path, clock=clock)
    assert again.recovered_from is not None
    assert again.iccids() == []
    assert logs[0]["event"] == "state_store_corrupt"
    again.close()
    # A second corrupt file on the same second gets its own name.
    path.write_bytes(b"garbage" * 100)
    third = StateStore.open(tmp_path, clock=clock)
    assert third.recovered_from is not None
    assert third.recovered_from.name.endswith("-2")
    third.close()


def test_newer_schema_is_moved_aside_not_downgraded(tmp_path: Path, clock: Clock) -> None:
    StateStore.open(tmp_path, clock=clock).close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    store = StateStore.open(tmp_path, clock=clock)
    assert store.recovered_from is not None
    store.close()


def test_forward_migration_keeps_data(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore.open(tmp_path, clock=clock)
    store.account(reading(5, 5), CST)
    store.close()
    extra = ("ALTER TABLE sim ADD COLUMN plan TEXT",)
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, extra))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 3)
    again = StateStore.open(tmp_path, clock=clock)
    assert again.recovered_from is None and again.load_ledger(SIM_A) is not None
    again.close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
    assert "plan" in [row[1] for row in conn.execute("PRAGMA table_info(sim)")]
    conn.close()


def test_locked_store_is_not_mistaken_for_corrupt(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateStore.open(tmp_path, clock=clock).close()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(tmp_path / FILENAME, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            StateStore.open(tmp_path, clock=clock)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "corrupt" in p.name) == []


def test_unwritable_state_dir_is_a_clear_error(tmp_path: Path, clock: Clock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailable, match="state directory"):
        StateStore.open(blocker / "posagent", clock=clock)


@pytest.mark.parametrize("step", [60, 3600], ids=["minutes", "hours"])
def test_day_rows_are_one_per_sim_per_day(tmp_path: Path, clock: Clock, step: int) -> None:
    store = StateStore.open(tmp_path, clock=clock, checkpoint=0.0)
    store.account(reading(0, 0), CST)
    for n in range(1, 200):
        clock.now += step
        store.account(reading(n * 10, 0, at=n * step), CST)
    store.close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    # Past days in the day table, the SIM's latest day in its own row (schema 2).
    rows = conn.execute("SELECT iccid, day, rx FROM day").fetchall()
    rows += conn.execute("SELECT iccid, today, today_rx FROM sim").fetchall()
    view = conn.execute("SELECT iccid, day, rx FROM daily_usage ORDER BY day").fetchall()
    conn.close()
    days = sorted({(T0 + timedelta(seconds=n * step)).date() for n in range(1, 200)})
    assert len(rows) == len(days)
    assert sum(r[2] for r in rows) == 1990
    assert {date.fromisoformat(r[1]) for r in rows} == set(days)
    assert sorted(rows, key=lambda r: r[1]) == view


FRAME = PAGE_SIZE + 24  # one page in the WAL: its 24-byte frame header and the page


def test_a_commit_appends_one_frame_and_creates_no_shm(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock, checkpoint=300.0)
    store.account(reading(0, 0), CST)  # the baseline, committed at once
    db = tmp_path / FILENAME
    db_before = (db.stat().st_size, db.stat().st_mtime_ns)
    sizes = [side(tmp_path, "-wal").stat().st_size]
    for n in range(1, 6):
        clock.now += 300
        assert store.account(reading(n * 50_000, n * 900, at=n * 300), CST).committed
        sizes.append(side(tmp_path, "-wal").stat().st_size)
        assert not side(tmp_path, "-shm").exists()
    # Baseline and today's usage share one row: one page, one frame per commit, and the
    # database file itself is not touched until a checkpoint.
    assert [b - a for a, b in itertools.pairwise(sizes)] == [FRAME] * 5
    assert (db.stat().st_size, db.stat().st_mtime_ns) == db_before
    store.close()
    assert side(tmp_path, "-wal").stat().st_size == 0  # checkpointed at close
    assert not side(tmp_path, "-shm").exists()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.daily_usage(SIM_A) == {T0.date(): 5 * 50_000 + 5 * 900}
    again.close()


def test_other_processes_read_and_write_between_commits(tmp_path: Path, clock: Clock) -> None:
    daemon = StateStore.open(tmp_path, clock=clock)
    daemon.account(reading(1000, 100), CST)
    clock.now += 60
    assert not daemon.account(reading(3000, 300, at=60), CST).committed  # held in memory
    # What `posagent status` or the sqlite3 shell does while the daemon runs.
    reader = sqlite3.connect(tmp_path / FILENAME, timeout=0.5)
    assert reader.execute("SELECT iccid, rx_bytes FROM sim").fetchall() == [(SIM_A, 1000)]
    reader.close()
    cli = StateStore.open(tmp_path, clock=clock)
    assert cli.load_ledger(SIM_A).baseline.rx_bytes == 1000  # type: ignore[union-attr]
    cli.close()
    clock.now += 300
    assert daemon.account(reading(4000, 400, at=360), CST).committed
    daemon.close()


def test_a_reader_holding_the_file_delays_a_commit_without_loss(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = StateStore.open(tmp_path, clock=clock)
    daemon.account(reading(1000, 100), CST)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(tmp_path / FILENAME, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM sim").fetchall()  # a read transaction, held
    clock.now += 60
    with capture_logs() as logs:
        result = daemon.account(reading(1000, 100, at=60, source="interface"), CST)
    assert not result.committed  # a source switch is urgent, but the file is busy
    assert [e["event"] for e in logs] == ["state_store_write_failed"]
    holder.execute("COMMIT")
    holder.close()
    clock.now += 60  # within the checkpoint interval, yet the failed urgent commit is owed
    assert daemon.account(reading(1500, 150, at=120, source="interface"), CST).committed
    clock.now += 60
    assert not daemon.account(reading(1600, 160, at=180, source="interface"), CST).committed
    daemon.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.load_ledger(SIM_A).baseline.source == "interface"  # type: ignore[union-attr]
    assert again.daily_usage(SIM_A) == {T0.date(): 550 + 110}
    again.close()


def test_lazy_meta_rides_along_only_when_due(tmp_path: Path, clock: Clock) -> None:
    store = StateStore.open(tmp_path, clock=clock, checkpoint=300.0, lazy_interval=3600.0)
    store.account(reading(0, 0), CST)

    def on_disk() -> str | None:
        conn = sqlite3.connect(tmp_path / FILENAME)
        row = conn.execute("SELECT value FROM meta WHERE key = 'last_status'").fetchone()
        conn.close()
        return row[0] if row else None

    assert not store.set_meta("last_status", "s1", lazy=True)
    clock.now += 400
    assert not store.set_meta("last_status", "s2", lazy=True)  # never a commit of its own
    assert store.account(reading(100, 0, at=400), CST).committed  # a regular commit...
    assert on_disk() is None  # ...leaves it out within the lazy interval
    assert store.get_meta("last_status") == "s2"  # and this process still sees its own
    clock.now += 3600
    assert store.account(reading(200, 0, at=4000), CST).committed
    assert on_disk() == "s2"  # due: taken along
    store.set_meta("last_status", "s3", lazy=True)
    assert store.set_meta("alerts", "[]", force=True)  # an alert: everything goes at once
    assert on_disk() == "s3"
    store.set_meta("last_status", "s4", lazy=True)
    store.close()
    assert on_disk() == "s4"  # shutdown flushes it


def test_day_rollover_keeps_a_calibration_from_another_process(
    tmp_path: Path, clock: Clock
) -> None:
    daemon = StateStore.open(tmp_path, clock=clock, checkpoint=300.0)
    daemon.account(reading(0, 0), CST)
    clock.now += 300
    assert daemon.account(reading(4000, 400, at=300), CST).committed
    cli = StateStore.open(tmp_path, clock=clock)
    mine = cli.load_ledger(SIM_A)
    assert mine is not None
    cli.record(calibrate(mine, 4400, 10_000, T0.date()), force=True)
    cli.close()
    clock.now += 300
    daemon.account(reading(5000, 500, at=600), CST)  # not yet due: in memory only
    next_day = 16 * 3600 + 60  # 00:01 the next day
    clock.now += next_day - 600
    assert daemon.account(reading(5200, 520, at=next_day), CST).committed
    assert daemon.daily_usage(SIM_A) == {
        T0.date(): 5500 + 5600,
        T0.date() + timedelta(days=1): 220,
    }
    daemon.close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    assert conn.execute("SELECT day, rx, tx, adjust FROM day").fetchall() == [
        (T0.date().isoformat(), 5000, 500, 5600)
    ]
    assert conn.execute("SELECT today, today_rx, today_tx, today_adjust FROM sim").fetchall() == [
        ((T0.date() + timedelta(days=1)).isoformat(), 200, 20, 0)
    ]
    conn.close()


def make_schema_1_store(path: Path) -> None:
    """A store as schema 1 wrote it: every day in the day table, the row holds the baseline.

    Rows as the schema-1 store wrote them for two days of readings and a calibration
    (checked against a file written by that code).
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("PRAGMA journal_mode = WAL")
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO sim VALUES (?, '2026-11-22T20:00:00+08:00', '2026-11-23T05:00:00+08:00',"
        " 10, 'modem', 81000, 90, '2026-11-23T05:00:00+08:00', 32400.0, 'boot-1', 10)",
        (SIM_A,),
    )
    conn.executemany(
        "INSERT INTO day VALUES (?, ?, ?, ?, ?)",
        [(SIM_A, "2026-11-22", 9000, 30, 0), (SIM_A, "2026-11-23", 72000, 60, 777)],
    )
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [(ACTIVE_ICCID, SIM_A), ("last_status", '{"x": 1}')]
    )
    conn.close()


def test_migration_from_schema_1_keeps_and_continues_the_ledger(
    tmp_path: Path, clock: Clock
) -> None:
    make_schema_1_store(tmp_path / FILENAME)
    store = StateStore.open(tmp_path, clock=clock, checkpoint=0.0)
    assert store.recovered_from is None
    ledger = store.load_ledger(SIM_A)
    assert ledger is not None and ledger.readings == 10
    assert ledger.baseline is not None and ledger.baseline.rx_bytes == 81000
    assert dict(ledger.daily) == {
        date(2026, 11, 22): DayUsage(9000, 30, 0),
        date(2026, 11, 23): DayUsage(72000, 60, 777),
    }
    assert store.get_meta("last_status") == '{"x": 1}'
    # T0 is 2026-11-23 08:00 +08:00: the same day as the last schema-1 day, then the next.
    store.account(reading(81500, 95, at=0), CST)
    store.account(reading(81900, 99, at=86400), CST)
    store.close()
    conn = sqlite3.connect(tmp_path / FILENAME)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    assert conn.execute("SELECT day, rx, tx, adjust FROM daily_usage").fetchall() == [
        ("2026-11-22", 9000, 30, 0),
        ("2026-11-23", 72500, 65, 777),
        ("2026-11-24", 400, 4, 0),
    ]
    conn.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.daily_usage(SIM_A) == {
        date(2026, 11, 22): 9030,
        date(2026, 11, 23): 72500 + 65 + 777,
        date(2026, 11, 24): 404,
    }
    again.close()


def test_the_wal_starts_over_after_a_checkpoint(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "WAL_COMMITS", 4)
    store = StateStore.open(tmp_path, clock=clock, checkpoint=0.0)
    db = tmp_path / FILENAME
    sizes, db_writes = [], 0
    for n in range(30):
        mtime = db.stat().st_mtime_ns
        clock.now += 60
        assert store.account(reading(n * 1000, n * 10, at=n * 60), CST).committed
        sizes.append(side(tmp_path, "-wal").stat().st_size)
        db_writes += db.stat().st_mtime_ns != mtime
    assert max(sizes) == sizes[4] <= 32 + 5 * FRAME  # frames go to the start again
    assert db_writes == 7  # once every WAL_COMMITS commits, at the start of the next
    store._conn.close()  # no flush, no checkpoint at close
    again = StateStore.open(tmp_path, clock=clock)
    assert again.daily_usage(SIM_A) == {T0.date(): 29 * 1010}
    again.close()


def test_without_keeping_the_wal_every_commit_is_checkpointed(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_keep_wal_on_close", lambda conn: False)
    store = StateStore.open(tmp_path, clock=clock, checkpoint=0.0)
    for n in range(5):
        clock.now += 60
        assert store.account(reading(n * 1000, n * 10, at=n * 60), CST).committed
        assert not side(tmp_path, "-wal").exists() and not side(tmp_path, "-shm").exists()
    store._conn.close()
    again = StateStore.open(tmp_path, clock=clock)
    assert again.daily_usage(SIM_A) == {T0.date(): 4 * 1010}
    again.close()


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's sqlite3 module")
def test_the_wal_is_kept_on_close_here(tmp_path: Path) -> None:
    conn = store_module._session(tmp_path / FILENAME)
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    assert side(tmp_path, "-wal").stat().st_size > 0  # no checkpoint, no delete on close
    assert not side(tmp_path, "-shm").exists()
    assert store_module._keep_wal_on_close(sqlite3.connect(":memory:"))
