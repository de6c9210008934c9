"""The durable outbox: order, no duplicates, restarts, and the drop policy when full."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from agent.outbox import FILENAME, Outbox, OutboxError
from agent.sinks.base import Report

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def report(kind: str, n: int) -> Report:
    return Report(
        kind=kind,  # type: ignore[arg-type]
        id=f"{kind}-{n}",
        created=T0 + timedelta(minutes=n),
        body={"n": n, "text": "余额 ünïcode"},
    )


def drain(box: Outbox, now: float = 0.0) -> list[str]:
    out = []
    while (r := box.peek_due(now)) is not None:
        out.append(r.id)
        box.done(r.id)
    return out


def test_fifo_round_trip_keeps_every_field(tmp_path: Path) -> None:
    box = Outbox.in_dir(tmp_path)
    assert (tmp_path / FILENAME).exists()
    sent = [report("alert", 1), report("heartbeat", 2), report("status", 3)]
    for r in sent:
        assert box.put(r)
    assert len(box) == 3
    assert box.peek_due(0.0) == sent[0]  # kind, id, created (with offset) and body intact
    assert drain(box) == ["alert-1", "heartbeat-2", "status-3"]
    assert len(box) == 0 and box.peek_due(0.0) is None


def test_duplicate_id_is_ignored(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    assert box.put(report("alert", 1))
    assert not box.put(report("alert", 1))
    assert box.ids() == ["alert-1"]


def test_retry_later_holds_the_whole_queue_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.put(report("alert", 1))
    box.put(report("alert", 2))
    box.retry_later("alert-1", at=100.0)
    assert box.attempts("alert-1") == 1
    assert box.peek_due(99.0) is None  # alert-2 does not overtake the head
    assert box.next_attempt() == 100.0
    assert drain(box, 100.0) == ["alert-1", "alert-2"]


def test_survives_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    for n in range(4):
        box.put(report("alert", n))
    box.done("alert-0")
    box.retry_later("alert-1", at=50.0)
    box.close()
    box = Outbox(tmp_path / "o.sqlite3")
    assert box.ids() == ["alert-1", "alert-2", "alert-3"]
    assert box.attempts("alert-1") == 1 and box.next_attempt() == 50.0
    box.put(report("alert", 4))
    assert drain(box, 50.0) == ["alert-1", "alert-2", "alert-3", "alert-4"]


def test_full_drops_oldest_heartbeat_before_any_alert(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", max_reports=4)
    for r in [report("alert", 1), report("heartbeat", 2), report("alert", 3), report("status", 4)]:
        box.put(r)
    with capture_logs() as logs:
        box.put(report("alert", 5))
        box.put(report("alert", 6))
    assert box.ids() == ["alert-1", "alert-3", "alert-5", "alert-6"]
    assert [(e["event"], e["dropped"]) for e in logs] == [
        ("outbox_full", "heartbeat-2"),
        ("outbox_full", "status-4"),
    ]


def test_full_of_alerts_drops_the_oldest_alert_loudly(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", max_reports=3)
    for n in range(3):
        box.put(report("alert", n))
    with capture_logs() as logs:
        assert box.put(report("alert", 3))
    assert box.ids() == ["alert-1", "alert-2", "alert-3"]
    assert logs[0]["event"] == "outbox_overflow"
    assert logs[0]["log_level"] == "error" and logs[0]["dropped"] == "alert-0"


def test_heartbeat_into_a_queue_full_of_alerts_is_itself_dropped(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", max_reports=2)
    box.put(report("alert", 1))
    box.put(report("alert", 2))
    with capture_logs() as logs:
        assert not box.put(report("heartbeat", 3))
    assert box.ids() == ["alert-1", "alert-2"]
    assert logs[0]["event"] == "outbox_full" and logs[0]["dropped"] == "heartbeat-3"


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    Outbox(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    db.close()
    with pytest.raises(OutboxError, match="schema version 99"):
        Outbox(path)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError):
        Outbox(path)


def test_wal_mode(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.put(report("alert", 1))
    with sqlite3.connect(tmp_path / "o.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from(["alert", "heartbeat"]), st.integers(0, 15)),
        st.tuples(st.just("done"), st.just(""), st.integers(0, 15)),
        st.tuples(st.just("reopen"), st.just(""), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=25, deadline=None)
@given(ops=_ops)
def test_matches_a_list_model_across_reopens(tmp_path_factory: pytest.TempPathFactory, ops) -> None:
    """Against a plain list: same order, no duplicates, the bound and the drop policy."""
    path = tmp_path_factory.mktemp("ob") / "o.sqlite3"
    limit = 5
    box = Outbox(path, max_reports=limit)
    model: list[tuple[str, str]] = []  # (id, kind), oldest first
    for op, kind, n in ops:
        if op == "put":
            rid = f"{kind}-{n}"
            box.put(report(kind, n))
            if rid in {i for i, _ in model}:
                continue
            if len(model) >= limit:
                beats = [m for m in model if m[1] == "heartbeat"]
                if beats:
                    model.remove(beats[0])
                elif kind == "heartbeat":
                    continue
                else:
                    model.pop(0)
            model.append((rid, kind))
        elif op == "done":
            for rid in (f"alert-{n}", f"heartbeat-{n}"):
                box.done(rid)
                model = [m for m in model if m[0] != rid]
        else:
            box.close()
            box = Outbox(path, max_reports=limit)
        assert box.ids() == [i for i, _ in model]
    box.close()
