"""A durable first-in-first-out queue of reports waiting for a sink, in SQLite.

Each queue is its own file in the state directory (``outbox.sqlite3`` for the webhook), so
that a sink's deliveries do not contend with the state store's transactions.

Delivery guarantee: at least once, in order. A report is removed (``done``) only after its
receiver accepted it. A crash between the receiver accepting a report and ``done`` committing
sends that report again after the restart; the report's id travels as the idempotency key so
the receiver can drop the repeat. Nothing is lost and nothing is queued twice: ``put`` of an
id already queued is ignored.

Bound: at most ``max_reports`` rows. When full, the oldest heartbeat or status report goes
first (the newest tells the same and more); alerts are dropped only when nothing else is
left, and then the oldest one, with an ``outbox_overflow`` error in the log naming it.

SQLite settings: WAL with ``synchronous=FULL``. The queue is written a few times a day (a
heartbeat every 6 h, the odd alert, a retry mark while the receiver is down), so an fsync per
commit costs nothing worth saving, and an alert accepted before a power cut must survive it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.sinks.base import Report
from drivers.logs import get_logger

log = get_logger("posagent.outbox")

FILENAME = "outbox.sqlite3"
DEFAULT_MAX_REPORTS = 500
SCHEMA_VERSION = 1
_DROPPABLE_FIRST = ("heartbeat", "status")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    created      TEXT NOT NULL,
    body         TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0
);
"""


class OutboxError(Exception):
    """The queue file cannot be used (unknown schema version, not a database)."""


class Outbox:
    """One durable queue. Not thread-safe: one sink on the poll loop's thread uses it."""

    def __init__(self, path: str | Path, *, max_reports: int = DEFAULT_MAX_REPORTS) -> None:
        if max_reports < 1:
            raise ValueError(f"max_reports must be at least 1, not {max_reports}")
        self.path = Path(path)
        self.max_reports = max_reports
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit below, one per operation.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise OutboxError(f"{self.path}: {err}") from err

    @classmethod
    def in_dir(
        cls, state_dir: str | Path, *, name: str = FILENAME, max_reports: int = DEFAULT_MAX_REPORTS
    ) -> Outbox:
        return cls(Path(state_dir) / name, max_reports=max_reports)

    def _migrate(self) -> None:
        with self._tx():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise OutboxError(
                    f"{self.path}: schema version {row[0]}, this agent knows {SCHEMA_VERSION}"
                )

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def put(self, report: Report) -> bool:
        """Queue a report at the end. False if its id is already queued (nothing changes)."""
        with self._tx():
            if self._db.execute("SELECT 1 FROM outbox WHERE id = ?", (report.id,)).fetchone():
                return False
            while len(self) >= self.max_reports:
                if not self._make_room(report):
                    return False
            self._db.execute(
                "INSERT INTO outbox (id, kind, created, body) VALUES (?, ?, ?, ?)",
                (
                    report.id,
                    report.kind,
                    report.created.isoformat(),
                    json.dumps(report.body, separators=(",", ":"), default=str),
                ),
            )
        return True

    def _make_room(self, incoming: Report) -> bool:
        """Delete one row for ``incoming``; False when ``incoming`` itself is the one to drop
        (a heartbeat arriving at a queue full of alerts)."""
        marks = ",".join("?" * len(_DROPPABLE_FIRST))
        row = self._db.execute(
            f"SELECT seq, id, kind FROM outbox WHERE kind IN ({marks}) ORDER BY seq LIMIT 1",
            _DROPPABLE_FIRST,
        ).fetchone()
        if row is None and incoming.kind in _DROPPABLE_FIRST:
            log.warning("outbox_full", dropped=incoming.id, kind=incoming.kind, path=str(self.path))
            return False
        if row is None:
            row = self._db.execute(
                "SELECT seq, id, kind FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
            log.error(
                "outbox_overflow",
                dropped=row[1],
                kind=row[2],
                max_reports=self.max_reports,
                path=str(self.path),
            )
        else:
            log.warning("outbox_full", dropped=row[1], kind=row[2], path=str(self.path))
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (row[0],))
        return True

    def peek_due(self, now: float) -> Report | None:
        """The oldest report, if it is due (its ``next_attempt`` is not after ``now``).

        Strictly in order: while the oldest one waits, so do the others behind it."""
        row = self._db.execute(
            "SELECT kind, id, created, body, next_attempt FROM outbox ORDER BY seq LIMIT 1"
        ).fetchone()
        if row is None or row[4] > now:
            return None
        return _report(row)

    def next_attempt(self) -> float | None:
        """When the oldest report is due (seconds, as ``now``); None when empty."""
        row = self._db.execute("SELECT next_attempt FROM outbox ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else float(row[0])

    def attempts(self, report_id: str) -> int:
        row = self._db.execute("SELECT attempts FROM outbox WHERE id = ?", (report_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def ids(self) -> list[str]:
        """Every queued id, oldest first."""
        return [r[0] for r in self._db.execute("SELECT id FROM outbox ORDER BY seq")]

    def done(self, report_id: str) -> None:
        """The report reached its receiver (or never will): remove it."""
        with self._tx():
            self._db.execute("DELETE FROM outbox WHERE id = ?", (report_id,))

    def retry_later(self, report_id: str, at: float) -> None:
        """Count a failed attempt; the report (and the queue behind it) waits until ``at``."""
        with self._tx():
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = ? WHERE id = ?",
                (at, report_id),
            )

    def close(self) -> None:
        self._db.close()


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")


def _report(row: tuple[Any, ...]) -> Report:
    kind, report_id, created, body, _next = row
    return Report(
        kind=kind, id=report_id, created=datetime.fromisoformat(created), body=json.loads(body)
    )
