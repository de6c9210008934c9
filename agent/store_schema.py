"""The state store's schema and its forward migrations.

Each migration moves the schema from version ``n - 1`` to ``n`` (its index + 1) and runs in
the same transaction as the version bump, so a crash leaves either version, never a mix.
Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the ledger. WITHOUT ROWID keeps each table one small b-tree keyed as it is looked
    # up, so a commit touches one leaf page per table it changes.
    (
        """CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE sim (
            iccid TEXT PRIMARY KEY,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            readings INTEGER NOT NULL,
            source TEXT,
            rx_bytes INTEGER,
            tx_bytes INTEGER,
            wall_time TEXT,
            monotonic REAL,
            boot_id TEXT,
            seq INTEGER
        ) WITHOUT ROWID""",
        """CREATE TABLE day (
            iccid TEXT NOT NULL,
            day TEXT NOT NULL,
            rx INTEGER NOT NULL DEFAULT 0,
            tx INTEGER NOT NULL DEFAULT 0,
            adjust INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (iccid, day)
        ) WITHOUT ROWID""",
    ),
    # 2: today's usage moves into the SIM's row, next to the baseline it was counted from, so
    # the usual commit (new baseline + today's increment) changes one page instead of two.
    # The day table keeps the days before the SIM's latest day; the row's day is folded into
    # it when a later day starts. ``daily_usage`` is the union both are read through.
    (
        "ALTER TABLE sim ADD COLUMN today TEXT",
        "ALTER TABLE sim ADD COLUMN today_rx INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sim ADD COLUMN today_tx INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE sim ADD COLUMN today_adjust INTEGER NOT NULL DEFAULT 0",
        """CREATE VIEW daily_usage (iccid, day, rx, tx, adjust) AS
            SELECT iccid, day, sum(rx), sum(tx), sum(adjust) FROM (
                SELECT iccid, day, rx, tx, adjust FROM day
                UNION ALL
                SELECT iccid, today, today_rx, today_tx, today_adjust FROM sim
                WHERE today IS NOT NULL
            ) GROUP BY iccid, day""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
