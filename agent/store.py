"""The durable state store: one SQLite file holding every SIM's ledger and a few facts.

Crash semantics
---------------
A SIM's baseline (the counters as last read) and its usage are committed in the same
transaction, in the same row. After a crash or power cut the store holds the last committed
pair, and the next reading's delta is taken from that baseline: traffic between the last commit
and the crash is not lost, it is counted at the next reading. The exception is a crash that
also reset the counters (a power cut that rebooted the modem, a new netdev): the traffic the
counters lost since the last commit is lost too. The checkpoint interval bounds that loss;
readings that show a reset, a new SIM or a new counter source are committed at once.

Commits use ``synchronous=FULL``: a commit returns after its WAL frames are on disk, so a power
cut loses nothing committed. It costs no extra writes: the frames are written back within the
kernel's 30 s anyway, and commits are minutes apart.

Flash wear
----------
Terminals have small flash, so the store writes only when something the accounting depends
on changed, and then at most every ``checkpoint`` seconds, except at once when asked
(``force``: an alert, a SIM change, shutdown). A poll that saw unchanged counters writes
nothing: ledgers and facts are served from memory, so it does not even read the file.

Facts set with ``lazy=True`` (the last status, which holds the time of its poll) change at
every poll but are worth little after a crash: such a change never causes a commit, and rides
along with one only when it is forced or ``lazy_interval`` has passed since the last time.

What one commit costs is counted in 4 KiB blocks of page cache written back. A WAL commit
appends frames of one page (1 KiB here) plus 24 bytes, so the usual commit, a new baseline and
today's increment in one row, is one frame: one block, two when it straddles a boundary. The
rest is avoided:

* the ``-shm`` WAL index: a shared memory map of a file next to the database, dirtied by every
  commit (its header and hash table, 2-3 blocks) and written back like any file. SQLite has no
  way to put it elsewhere at run time (it refuses a symlinked ``-shm``, ``SQLITE_SHM_DIRECTORY``
  is a compile-time option), but in ``locking_mode=EXCLUSIVE`` it keeps the index in the heap
  and creates no ``-shm`` at all. That mode holds the file's lock until the connection closes,
  so the store opens a connection for each use (load, commit) and closes it at once: other
  processes (``posagent status``, ``usage --set-used``) wait at most one commit's milliseconds.
* the checkpoint that SQLite runs when a connection closes: turned off
  (``SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE``), so the database file is written once per
  ``WAL_COMMITS`` commits and at :meth:`StateStore.close`, not at every commit.
  Opening the store checkpoints once. Without that setting (see :func:`_keep_wal_on_close`)
  every commit is also checkpointed and the WAL deleted: correct, but about three times the
  writes (``bench/store_writes.py``).

Several processes may open the store (the daemon, ``posagent usage``): each keeps its own
copy in memory and writes usage as increments to what is on disk, so a calibration made by
one is not overwritten by the other; the copy of a process is refreshed when it commits.
"""

from __future__ import annotations

import contextlib
import ctypes
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone, tzinfo
from functools import cache
from pathlib import Path
from types import TracebackType

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
from drivers.logs import get_logger
from drivers.records import record, replace

log = get_logger("posagent.store")

FILENAME = "state.sqlite3"
ACTIVE_ICCID = "active_iccid"  # meta key: the SIM whose traffic the counters show now
BUSY_TIMEOUT = 10.0  # seconds to wait for another process's transaction (CLI vs daemon)
LAZY_INTERVAL = 3600.0  # seconds: how stale a lazy fact may get on disk while commits happen
# New files only. 1 KiB: the rows are tiny and every WAL frame carries one whole page, so a
# commit of one page appends 1048 bytes (a 4 KiB page would be 4120 bytes, always 2 blocks).
PAGE_SIZE = 1024
# Commits between two checkpoints of the WAL into the database file (a day at the default
# settings): each database page is then written once for hundreds of commits. SQLite's own
# autocheckpoint is off: with the WAL index in the heap, a new connection cannot know what
# was checkpointed before, so SQLite's would copy the whole WAL again at every commit once
# it is long, and never start the WAL over. The store checkpoints at the start of a commit,
# whose frames then go to the start of the WAL again, over blocks already allocated.
WAL_COMMITS = 256
_NO_CKPT_ON_CLOSE = 1006  # SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE in sqlite3.h, SQLite >= 3.16.2

# SQLite primary result codes (sqlite3 names them only from Python 3.11 on).
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_MESSAGES = {"database is locked": 5, "disk image is malformed": 11, "not a database": 26}


class StoreUnavailable(Exception):
    """The state directory cannot hold a store at all (not writable, locked by another)."""


class _Unusable(sqlite3.DatabaseError):
    """The file opened but cannot serve as this agent's store."""


@record
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


class _Database:
    """The store's file, opened for one use at a time (load, commit, checkpoint).

    A connection holds the file's exclusive lock for as long as it is open (see the module
    notes on the ``-shm`` file), so none is kept between commits.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.closed = False

    @contextlib.contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        if self.closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        conn = _session(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def close(self) -> None:
        """Stop using the file. Nothing is flushed: that is :meth:`StateStore.close`."""
        self.closed = True


class StateStore:
    """Per-SIM ledgers and small facts (``meta``), buffered in memory, committed sparingly."""

    def __init__(
        self,
        path: Path,
        ledgers: dict[str, SimLedger],
        meta: dict[str, str],
        *,
        clock: Callable[[], float],
        checkpoint: float,
        lazy_interval: float,
        recovered_from: Path | None,
    ) -> None:
        self.path = path
        self.recovered_from = recovered_from
        # Named like a connection for callers that simulate a kill with ``_conn.close()``.
        self._conn = _Database(path)
        self._clock = clock
        self._checkpoint = checkpoint
        self._lazy_interval = lazy_interval
        self._ledgers = dict(ledgers)
        self._saved = dict(ledgers)
        self._meta = dict(meta)
        self._saved_meta = dict(meta)
        self._lazy: set[str] = set()
        self._dirty: set[str] = set()
        self._wrote = False
        self._owed = False  # a forced commit failed: the next chance is forced too
        self._wal_commits = 0  # since the last checkpoint; opening the store checkpoints
        self._last_commit = clock()
        self._lazy_written = self._last_commit

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        state_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        checkpoint: float = 300.0,
        lazy_interval: float = LAZY_INTERVAL,
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
            ledgers, meta = _load(path)
        except sqlite3.DatabaseError as err:
            recovered = _move_aside(path, clock, err)
            try:
                ledgers, meta = _load(path)
            except sqlite3.Error as again:
                raise StoreUnavailable(f"{path}: cannot start a fresh store: {again}") from again
        return cls(
            path,
            ledgers,
            meta,
            clock=clock,
            checkpoint=checkpoint,
            lazy_interval=lazy_interval,
            recovered_from=recovered,
        )

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

    def set_meta(self, key: str, value: str, *, force: bool = False, lazy: bool = False) -> bool:
        """Set a small fact (e.g. the alert book); committed like a ledger change.

        ``lazy``: the value is not worth a commit of its own (the last status, which changes
        at every poll). It is committed with a forced commit, at :meth:`flush`, or with a
        regular commit once ``lazy_interval`` has passed since lazy values were last written;
        until then readers in this process see it and other processes see the older value.
        """
        self._meta[key] = value
        if lazy:
            self._lazy.add(key)
        else:
            self._lazy.discard(key)
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
            self._lazy.discard(ACTIVE_ICCID)
        new, delta = apply_reading(ledger, reading, tz, max_rate_bps)
        urgent = force or sim_changed or delta.kind not in ("normal", "wrap")
        committed = self.record(new, force=urgent)
        return Accounted(new, delta, committed, sim_changed)

    def flush(self) -> None:
        """Commit everything not yet committed, lazy facts included (shutdown)."""
        if self._pending():
            self._commit(lazy_due=True)

    def close(self) -> None:
        """Flush, then (if this process wrote) checkpoint the WAL into the database file."""
        if self._conn.closed:
            return
        try:
            self.flush()
            if self._wrote:
                self._checkpoint_wal()
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

    def _changed_meta(self) -> set[str]:
        return {k for k, v in self._meta.items() if self._saved_meta.get(k) != v}

    def _pending(self) -> bool:
        return bool(self._dirty) or bool(self._changed_meta()) or self._ledgers != self._saved

    def _maybe_commit(self, force: bool) -> bool:
        force = force or self._owed
        changed = self._changed_meta()
        urgent = bool(self._dirty) or bool(changed - self._lazy)
        if not urgent and not (force and changed):
            return False
        since = self._clock() - self._last_commit
        # A clock stepped backwards (NTP) must not hold commits back until it catches up.
        if not force and 0 <= since < self._checkpoint:
            return False
        since_lazy = self._clock() - self._lazy_written
        committed = self._commit(lazy_due=force or not 0 <= since_lazy < self._lazy_interval)
        self._owed = force and not committed
        return committed

    def _commit(self, *, lazy_due: bool) -> bool:
        try:
            self._write(lazy_due)
        except sqlite3.DatabaseError as err:
            if _code(err) not in _CORRUPT_CODES:
                # Full disk, I/O error, a lock held too long: keep everything in memory and
                # try again at the next commit rather than stop the agent.
                log.error("state_store_write_failed", path=str(self.path), error=str(err))
                return False
            self._start_over(err)
            self._write(lazy_due=True)
        self._dirty.clear()
        self._wrote = True
        self._last_commit = self._clock()
        if lazy_due:
            self._lazy_written = self._last_commit
        return True

    def _write(self, lazy_due: bool) -> None:
        changed = [
            ledger for iccid, ledger in self._ledgers.items() if ledger != self._saved.get(iccid)
        ]
        keys = self._changed_meta() if lazy_due else self._changed_meta() - self._lazy
        meta = {key: self._meta[key] for key in keys}
        with self._conn.session() as conn:
            checkpoint = self._wal_commits >= WAL_COMMITS
            if checkpoint:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for ledger in changed:
                    _write_ledger(conn, ledger, self._saved.get(ledger.iccid))
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    meta.items(),
                )
                # What other processes committed since we last looked (a calibration from
                # the CLI) comes back with our own increments added.
                days = _read_days(conn)
                stored_meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._wal_commits = 1 if checkpoint else self._wal_commits + 1
        for ledger in changed:
            self._saved[ledger.iccid] = ledger
        self._saved_meta.update(meta)
        self._take_in(days, stored_meta, meta)

    def _take_in(
        self, days: dict[str, dict[date, DayUsage]], stored: dict[str, str], ours: dict[str, str]
    ) -> None:
        """Adopt the committed usage, and the facts this process has no change of its own to."""
        for iccid, ledger in self._ledgers.items():
            daily = days.get(iccid, {})
            if ledger.daily != daily:
                self._ledgers[iccid] = replace(ledger, daily=daily)
            saved = self._saved.get(iccid)
            if saved is not None and saved.daily != daily:
                self._saved[iccid] = replace(saved, daily=daily)
        for key, value in stored.items():
            if key not in ours and self._meta.get(key) == self._saved_meta.get(key):
                self._meta[key] = value
                self._saved_meta[key] = value

    def _checkpoint_wal(self) -> None:
        """Copy the WAL into the database file and empty it: one file to back up or move."""
        try:
            with self._conn.session() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as err:  # the WAL is durable as it is; the next run checkpoints
            log.warning("state_store_checkpoint_failed", path=str(self.path), error=str(err))

    def _start_over(self, err: sqlite3.Error) -> None:
        """The file went bad under us: move it aside and write what we hold into a new one."""
        self.recovered_from = _move_aside(self.path, self._clock, err)
        _connect(self.path).close()  # the schema, in a fresh file
        self._saved = {}
        self._saved_meta = {}


def _write_ledger(conn: sqlite3.Connection, ledger: SimLedger, saved: SimLedger | None) -> None:
    """Write the ledger's baseline and its usage as increments over ``saved``.

    Increments, not values: another process (a calibration from the CLI) may have added to
    the same day since we last read it. The latest day lives in the SIM's row (schema 2);
    when a later day comes, the row's day is folded into the day table first.
    """
    before = saved.daily if saved is not None else {}
    increments: dict[date, DayUsage] = {}
    for day, usage in ledger.daily.items():
        old = before.get(day, DayUsage())
        if usage != old:
            increments[day] = DayUsage(
                usage.rx - old.rx, usage.tx - old.tx, usage.adjust - old.adjust
            )
    row = conn.execute("SELECT today FROM sim WHERE iccid = ?", (ledger.iccid,)).fetchone()
    stored = date.fromisoformat(row[0]) if row is not None and row[0] is not None else None
    candidates = [d for d in (stored, max(ledger.daily, default=None)) if d is not None]
    latest = max(candidates, default=None)
    if stored is not None and stored != latest:
        conn.execute(
            "INSERT INTO day (iccid, day, rx, tx, adjust)"
            " SELECT iccid, today, today_rx, today_tx, today_adjust FROM sim WHERE iccid = ?"
            " ON CONFLICT (iccid, day) DO UPDATE SET rx = rx + excluded.rx,"
            " tx = tx + excluded.tx, adjust = adjust + excluded.adjust",
            (ledger.iccid,),
        )
    hot = increments.pop(latest, DayUsage()) if latest is not None else DayUsage()
    b = ledger.baseline
    conn.execute(
        "INSERT INTO sim (iccid, first_seen, last_seen, readings, source, rx_bytes, tx_bytes,"
        " wall_time, monotonic, boot_id, seq, today, today_rx, today_tx, today_adjust)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (iccid) DO UPDATE SET first_seen = excluded.first_seen,"
        " last_seen = excluded.last_seen, readings = excluded.readings,"
        " source = excluded.source, rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes,"
        " wall_time = excluded.wall_time, monotonic = excluded.monotonic,"
        " boot_id = excluded.boot_id, seq = excluded.seq, today = excluded.today,"
        # Every right-hand side sees the row as it was: `today` is the stored day here.
        " today_rx = excluded.today_rx + CASE WHEN today IS excluded.today"
        " THEN today_rx ELSE 0 END,"
        " today_tx = excluded.today_tx + CASE WHEN today IS excluded.today"
        " THEN today_tx ELSE 0 END,"
        " today_adjust = excluded.today_adjust + CASE WHEN today IS excluded.today"
        " THEN today_adjust ELSE 0 END",
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
            latest.isoformat() if latest is not None else None,
            hot.rx,
            hot.tx,
            hot.adjust,
        ),
    )
    conn.executemany(
        "INSERT INTO day (iccid, day, rx, tx, adjust) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (iccid, day) DO UPDATE SET rx = rx + excluded.rx,"
        " tx = tx + excluded.tx, adjust = adjust + excluded.adjust",
        [
            (ledger.iccid, day.isoformat(), inc.rx, inc.tx, inc.adjust)
            for day, inc in increments.items()
        ],
    )


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.fromtimestamp(0, timezone.utc)).isoformat()


def _read_days(conn: sqlite3.Connection) -> dict[str, dict[date, DayUsage]]:
    days: dict[str, dict[date, DayUsage]] = {}
    for iccid, day, rx, tx, adjust in conn.execute(
        "SELECT iccid, day, rx, tx, adjust FROM daily_usage"
    ):
        days.setdefault(iccid, {})[date.fromisoformat(day)] = DayUsage(rx, tx, adjust)
    return days


def _read_contents(conn: sqlite3.Connection) -> tuple[dict[str, SimLedger], dict[str, str]]:
    days = _read_days(conn)
    ledgers: dict[str, SimLedger] = {}
    for row in conn.execute(
        "SELECT iccid, first_seen, last_seen, readings, source, rx_bytes, tx_bytes,"
        " wall_time, monotonic, boot_id, seq FROM sim"
    ):
        iccid, first_seen, last_seen, readings, source = row[:5]
        baseline = None
        if source is not None:
            rx, tx, wall, mono, boot, seq = row[5:]
            baseline = Baseline(source, rx, tx, datetime.fromisoformat(wall), mono, boot, seq)
        ledgers[iccid] = SimLedger(
            iccid=iccid,
            baseline=baseline,
            daily=days.get(iccid, {}),
            first_seen=datetime.fromisoformat(first_seen),
            last_seen=datetime.fromisoformat(last_seen),
            readings=readings,
        )
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    return ledgers, meta


def _load(path: Path) -> tuple[dict[str, SimLedger], dict[str, str]]:
    conn = _connect(path)
    try:
        return _read_contents(conn)
    finally:
        conn.close()


def _session(path: Path, *, keep_wal: bool = True) -> sqlite3.Connection:
    """A connection for one use; raises sqlite3.DatabaseError if the file is no good.

    ``keep_wal`` false leaves SQLite's checkpoint on close in place: the file is then whole
    without its WAL once the connection closes (after opening, checking and migrating).
    """
    # isolation_level=None: transactions are explicit, one per commit.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    try:
        # First, before the file is read: in EXCLUSIVE mode SQLite keeps the WAL index in
        # this process's heap and never creates the -shm file ("Use of WAL Without
        # Shared-Memory", sqlite.org/wal.html).
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect only on a new file
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise _Unusable(f"journal_mode is {mode}, not wal")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        if keep_wal and not _keep_wal_on_close(conn):
            _note_checkpoint_per_commit()
    except BaseException:
        conn.close()
        raise
    return conn


def _keep_wal_on_close(conn: sqlite3.Connection) -> bool:
    """Turn off the checkpoint SQLite runs when a connection closes. False if not possible.

    Python >= 3.12 has ``Connection.setconfig``. Older CPython does not expose
    ``sqlite3_db_config`` at all, so it is called through ctypes on the connection's handle.
    """
    setconfig = getattr(conn, "setconfig", None)
    if setconfig is not None:
        try:
            setconfig(_NO_CKPT_ON_CLOSE, True)
            return True
        except sqlite3.Error:
            return False
    lib = _libsqlite3()
    db = _handle(conn, lib) if lib is not None else None
    if lib is None or db is None:
        return False
    state = ctypes.c_int(-1)
    rc = lib.sqlite3_db_config(
        ctypes.c_void_p(db), ctypes.c_int(_NO_CKPT_ON_CLOSE), ctypes.c_int(1), ctypes.byref(state)
    )
    return rc == 0 and state.value == 1


@cache
def _note_checkpoint_per_commit() -> None:
    log.info(
        "state_store_checkpoint_per_commit",
        reason="SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE cannot be set from this Python",
        effect="each commit is also copied into the database file: more writes to flash",
    )


@cache
def _libsqlite3() -> ctypes.CDLL | None:
    """The SQLite library the sqlite3 module uses, on CPython 3.10 and 3.11 release builds."""
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in ((3, 10), (3, 11)):
        return None
    if hasattr(sys, "gettotalrefcount"):  # a debug build: objects have a longer header
        return None
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)  # its symbols include the linked libsqlite3's
        lib.sqlite3_vfs_find.restype = ctypes.c_void_p
        lib.sqlite3_vfs_find.argtypes = [ctypes.c_char_p]
        lib.sqlite3_db_config.restype = ctypes.c_int
    except (ImportError, OSError, AttributeError):
        return None
    return lib


def _handle(conn: sqlite3.Connection, lib: ctypes.CDLL) -> int | None:
    """The connection's ``sqlite3 *``, or None if it does not look like one."""
    # CPython 3.10/3.11 Modules/_sqlite/connection.h: the object is PyObject_HEAD, then
    # `sqlite3 *db`.
    db = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not db:
        return None
    # sqliteInt.h: `struct sqlite3` starts with its `sqlite3_vfs *pVfs`; ours is the default.
    if ctypes.c_void_p.from_address(db).value != lib.sqlite3_vfs_find(None):
        return None
    return db


def _connect(path: Path) -> sqlite3.Connection:
    """Open, check and migrate; raises sqlite3.DatabaseError if the file is no good.

    Closing it checkpoints: a store is opened once per process, and the daemon then starts
    from a file that holds everything by itself.
    """
    conn = _session(path, keep_wal=False)
    try:
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
