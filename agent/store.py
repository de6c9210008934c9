"""The durable state store: one SQLite file holding every SIM's ledger and a few facts.

Crash semantics
---------------
A SIM's baseline (the counters as last read) and its usage are committed in the same
transaction. After a crash or power cut the store holds the last committed pair, and the next
reading's delta is taken from that baseline: traffic between the last commit and the crash is
not lost, it is counted at the next reading. The exception is a crash that also reset the
counters (a power cut that rebooted the modem, a new netdev): the traffic the counters lost
since the last commit is lost too. The checkpoint interval bounds that loss; readings that show
a reset, a new SIM or a new counter source are committed at once.

Flash wear
----------
Terminals have small flash, so the store writes only when something the accounting depends
on changed, and then at most every ``checkpoint`` seconds, except at once when asked
(``force``: an alert, a SIM change, shutdown). A poll that saw unchanged counters writes
nothing: ledgers and facts are served from memory, so it does not even read the file.

SQLite settings
---------------
WAL with ``synchronous=NORMAL``: a commit is one append to the WAL without fsync; the WAL is
synced at its checkpoints. A process crash (SIGKILL) loses nothing committed; an OS crash or
power cut may roll back the last commits since the WAL's last sync, but never tears one, and
the rolled-back baseline and usage go together, so the next reading counts that traffic again
from the older baseline (as above). ``FULL`` would add an fsync per commit for no gain in what
the ledger ends up counting. Pages are 1 KiB because the rows are tiny and every WAL frame
carries one whole page.

Several processes may open the store (the daemon, ``posagent usage``): each keeps its own
copy in memory and writes usage as increments to what is on disk, so a calibration made by
one is not overwritten by the other; the copy of a process is refreshed when it commits.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from types import TracebackType

import structlog

from agent.ledger import (
    DEFAULT_MAX_RATE,
    Baseline,
    DayUsage,
    Delta,
    Reading,
    SimLedger,
    accounting_changed,
    apply_reading,
    detach,
)
from agent.store_schema import MIGRATIONS, SCHEMA_VERSION

log = structlog.get_logger("posagent.store")

FILENAME = "state.sqlite3"
ACTIVE_ICCID = "active_iccid"  # meta key: the SIM whose traffic the counters show now
BUSY_TIMEOUT = 10.0  # seconds to wait for another process's transaction (CLI vs daemon)

# SQLite primary result codes (sqlite3 names them only from Python 3.11 on).
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_MESSAGES = {"database is locked": 5, "disk image is malformed": 11, "not a database": 26}


class StoreUnavailable(Exception):
    """The state directory cannot hold a store at all (not writable, locked by another)."""


class _Unusable(sqlite3.DatabaseError):
    """The file opened but cannot serve as this agent's store."""


@dataclass(frozen=True)
class Accounted:
    """What one poll's reading did: see :meth:`StateStore.account`."""

    ledger: SimLedger
    delta: Delta
    committed: bool
    sim_changed: bool


def _code(err: sqlite3.Error) -> int:
    code = getattr(err, "sqlite_errorcode", None)  # Python >= 3.11
    if code is not None:
        return code & 0xFF
    text = str(err)
    return next((n for message, n in _MESSAGES.items() if message in text), 0)


class StateStore:
    """Per-SIM ledgers and small facts (``meta``), buffered in memory, committed sparingly."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        *,
        clock: Callable[[], float],
        checkpoint: float,
        recovered_from: Path | None,
    ) -> None:
        self.path = path
        self.recovered_from = recovered_from
        self._conn = conn
        self._clock = clock
        self._checkpoint = checkpoint
        self._ledgers: dict[str, SimLedger] = {}
        self._saved: dict[str, SimLedger] = {}
        self._meta: dict[str, str] = {}
        self._saved_meta: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._data_version = 0
        self._load()
        self._last_commit = clock()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        state_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        checkpoint: float = 300.0,
    ) -> StateStore:
        """Open (or create) ``state_dir/state.sqlite3``.

        A corrupt or unreadable file is renamed ``state.sqlite3.corrupt-<UTC time>`` with an
        error logged, and a fresh store is started: a bad file must never stop the agent.
        ``recovered_from`` then names the renamed file.
        """
        state_dir = Path(state_dir)
        path = state_dir / FILENAME
        try:
            state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise StoreUnavailable(
                f"{state_dir}: cannot create the state directory: {err}"
            ) from err
        recovered: Path | None = None
        try:
            conn = _connect(path)
        except sqlite3.DatabaseError as err:
            recovered = _move_aside(path, clock, err)
            try:
                conn = _connect(path)
            except sqlite3.Error as again:
                raise StoreUnavailable(f"{path}: cannot start a fresh store: {again}") from again
        return cls(path, conn, clock=clock, checkpoint=checkpoint, recovered_from=recovered)

    def _load(self) -> None:
        conn = self._conn
        days: dict[str, dict[date, DayUsage]] = {}
        for iccid, day, rx, tx, adjust in conn.execute(
            "SELECT iccid, day, rx, tx, adjust FROM day"
        ):
            days.setdefault(iccid, {})[date.fromisoformat(day)] = DayUsage(rx, tx, adjust)
        for row in conn.execute(
            "SELECT iccid, first_seen, last_seen, readings, source, rx_bytes, tx_bytes,"
            " wall_time, monotonic, boot_id, seq FROM sim"
        ):
            iccid, first_seen, last_seen, readings, source = row[:5]
            baseline = None
            if source is not None:
                rx, tx, wall, mono, boot, seq = row[5:]
                baseline = Baseline(source, rx, tx, datetime.fromisoformat(wall), mono, boot, seq)
            self._ledgers[iccid] = SimLedger(
                iccid=iccid,
                baseline=baseline,
                daily=days.get(iccid, {}),
                first_seen=datetime.fromisoformat(first_seen),
                last_seen=datetime.fromisoformat(last_seen),
                readings=readings,
            )
        self._saved = dict(self._ledgers)
        self._meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self._saved_meta = dict(self._meta)
        self._data_version = conn.execute("PRAGMA data_version").fetchone()[0]

    # -- reading ---------------------------------------------------------------------------

    def load_ledger(self, iccid: str) -> SimLedger | None:
        """The SIM's ledger as last recorded (committed or not), None if never seen."""
        return self._ledgers.get(iccid)

    def iccids(self) -> list[str]:
        return sorted(self._ledgers)

    def daily_usage(self, iccid: str) -> dict[date, int]:
        """Bytes per local day (rx + tx + adjustment), for plan evaluation."""
        ledger = self._ledgers.get(iccid)
        if ledger is None:
            return {}
        return {day: usage.total for day, usage in sorted(ledger.daily.items())}

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    # -- writing ---------------------------------------------------------------------------

    def record(self, ledger: SimLedger, *, force: bool = False) -> bool:
        """Take the SIM's new ledger; commit if something changed and ``force`` or the
        checkpoint interval has passed since the last commit. True if it committed."""
        self._stage(ledger)
        return self._maybe_commit(force)

    def _stage(self, ledger: SimLedger) -> None:
        if accounting_changed(self._saved.get(ledger.iccid), ledger):
            self._dirty.add(ledger.iccid)
        self._ledgers[ledger.iccid] = ledger

    def set_meta(self, key: str, value: str, *, force: bool = False) -> bool:
        """Set a small fact (e.g. the last snapshot); committed like a ledger change."""
        self._meta[key] = value
        return self._maybe_commit(force)

    def account(
        self,
        reading: Reading,
        tz: tzinfo,
        *,
        max_rate_bps: float = DEFAULT_MAX_RATE,
        force: bool = False,
    ) -> Accounted:
        """One poll's accounting in one transaction: the reading goes to its SIM's ledger.

        When the active ICCID changes, the SIM that left is detached and the SIM that came
        (back) re-baselines (the counters are the modem's, not the SIM's). A new SIM, a reset,
        a reboot or a new counter source is committed at once.
        """
        active = self._meta.get(ACTIVE_ICCID)
        sim_changed = active is not None and active != reading.iccid
        ledger = self._ledgers.get(reading.iccid)
        if active != reading.iccid:
            if active is not None and active in self._ledgers:
                self._stage(detach(self._ledgers[active]))
            if ledger is not None:
                ledger = detach(ledger)
            self._meta[ACTIVE_ICCID] = reading.iccid
        new, delta = apply_reading(ledger, reading, tz, max_rate_bps)
        urgent = force or sim_changed or delta.kind not in ("normal", "wrap")
        committed = self.record(new, force=urgent)
        return Accounted(new, delta, committed, sim_changed)

    def flush(self) -> None:
        """Commit everything not yet committed (shutdown)."""
        if self._pending():
            self._commit()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- committing ------------------------------------------------------------------------

    def _pending(self) -> bool:
        return bool(self._dirty) or self._meta != self._saved_meta or self._ledgers != self._saved

    def _maybe_commit(self, force: bool) -> bool:
        if not self._dirty and self._meta == self._saved_meta:
            return False
        since = self._clock() - self._last_commit
        # A clock stepped backwards (NTP) must not hold commits back until it catches up.
        if not force and 0 <= since < self._checkpoint:
            return False
        return self._commit()

    def _commit(self) -> bool:
        try:
            self._write()
        except sqlite3.DatabaseError as err:
            if _code(err) not in _CORRUPT_CODES:
                # Full disk, I/O error, a lock held too long: keep everything in memory and
                # try again at the next commit rather than stop the agent.
                log.error("state_store_write_failed", path=str(self.path), error=str(err))
                return False
            self._start_over(err)
            self._write()
        self._dirty.clear()
        self._last_commit = self._clock()
        return True

    def _write(self) -> None:
        conn = self._conn
        changed = [
            ledger for iccid, ledger in self._ledgers.items() if ledger != self._saved.get(iccid)
        ]
        meta = {k: v for k, v in self._meta.items() if self._saved_meta.get(k) != v}
        conn.execute("BEGIN IMMEDIATE")
        try:
            external = conn.execute("PRAGMA data_version").fetchone()[0] != self._data_version
            for ledger in changed:
                _write_ledger(conn, ledger, self._saved.get(ledger.iccid))
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                meta.items(),
            )
            if external:
                self._refresh(meta)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        for ledger in changed:
            self._saved[ledger.iccid] = self._ledgers[ledger.iccid]
        self._saved_meta = dict(self._meta)

    def _refresh(self, ours: dict[str, str]) -> None:
        """Another process committed since our last look: take its usage and facts in."""
        conn = self._conn
        days: dict[str, dict[date, DayUsage]] = {}
        for iccid, day, rx, tx, adjust in conn.execute(
            "SELECT iccid, day, rx, tx, adjust FROM day"
        ):
            days.setdefault(iccid, {})[date.fromisoformat(day)] = DayUsage(rx, tx, adjust)
        for iccid, ledger in self._ledgers.items():
            fresh = replace(ledger, daily=days.get(iccid, {}))
            self._ledgers[iccid] = fresh
            if iccid in self._saved:
                self._saved[iccid] = replace(self._saved[iccid], daily=fresh.daily)
        for key, value in conn.execute("SELECT key, value FROM meta"):
            if key not in ours:
                self._meta[key] = value
                self._saved_meta[key] = value
        self._data_version = conn.execute("PRAGMA data_version").fetchone()[0]

    def _start_over(self, err: sqlite3.Error) -> None:
        """The file went bad under us: move it aside and write what we hold into a new one."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        self.recovered_from = _move_aside(self.path, self._clock, err)
        self._conn = _connect(self.path)
        self._saved = {}
        self._saved_meta = {}
        self._data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]


def _write_ledger(conn: sqlite3.Connection, ledger: SimLedger, saved: SimLedger | None) -> None:
    b = ledger.baseline
    conn.execute(
        "INSERT INTO sim (iccid, first_seen, last_seen, readings, source, rx_bytes, tx_bytes,"
        " wall_time, monotonic, boot_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (iccid) DO UPDATE SET first_seen = excluded.first_seen,"
        " last_seen = excluded.last_seen, readings = excluded.readings,"
        " source = excluded.source, rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes,"
        " wall_time = excluded.wall_time, monotonic = excluded.monotonic,"
        " boot_id = excluded.boot_id, seq = excluded.seq",
        (
            ledger.iccid,
            _iso(ledger.first_seen),
            _iso(ledger.last_seen),
            ledger.readings,
            b.source if b else None,
            b.rx_bytes if b else None,
            b.tx_bytes if b else None,
            b.wall_time.isoformat() if b else None,
            b.monotonic if b else None,
            b.boot_id if b else None,
            b.seq if b else None,
        ),
    )
    before = saved.daily if saved is not None else {}
    rows = []
    for day, usage in ledger.daily.items():
        old = before.get(day, DayUsage())
        if usage != old:
            rows.append(
                (
                    ledger.iccid,
                    day.isoformat(),
                    usage.rx - old.rx,
                    usage.tx - old.tx,
                    usage.adjust - old.adjust,
                )
            )
    # Increments, not values: another process (a calibration from the CLI) may have added to
    # the same day since we last read it.
    conn.executemany(
        "INSERT INTO day (iccid, day, rx, tx, adjust) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (iccid, day) DO UPDATE SET rx = rx + excluded.rx,"
        " tx = tx + excluded.tx, adjust = adjust + excluded.adjust",
        rows,
    )


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.fromtimestamp(0, timezone.utc)).isoformat()


def _connect(path: Path) -> sqlite3.Connection:
    """Open, check and migrate; raises sqlite3.DatabaseError if the file is no good."""
    # isolation_level=None: transactions are explicit, one per commit.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    try:
        conn.execute("PRAGMA page_size = 1024")  # takes effect only on a new file
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise _Unusable(f"journal_mode is {mode}, not wal")
        conn.execute("PRAGMA synchronous = NORMAL")
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise _Unusable("integrity_check: " + "; ".join(result[:5]))
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise _Unusable(f"schema version {version} is newer than this agent's {SCHEMA_VERSION}")
        for number, statements in enumerate(MIGRATIONS, start=1):
            if number > version:
                for statement in statements:
                    conn.execute(statement)
        if version != SCHEMA_VERSION:
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _move_aside(path: Path, clock: Callable[[], float], err: sqlite3.Error) -> Path:
    """Rename a bad store (and its WAL and shared-memory files) out of the way."""
    if _code(err) in _BUSY_CODES:
        raise StoreUnavailable(f"{path}: locked by another process: {err}") from err
    stamp = datetime.fromtimestamp(clock(), timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        if path.exists():
            path.rename(target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
    except OSError as move_err:
        raise StoreUnavailable(
            f"{path}: unusable ({err}) and cannot be moved aside: {move_err}"
        ) from err
    log.error(
        "state_store_corrupt",
        path=str(path),
        moved_to=str(target),
        error=str(err),
        action="started a fresh store; usage recorded before is in the moved file",
    )
    return target
