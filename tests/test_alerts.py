"""The alert lifecycle, poll by poll: scenarios a terminal lives through."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from agent.alerts import (
    ActiveAlert,
    AlertBook,
    AlertEvent,
    AlertPolicy,
    alert_key,
    alert_rank,
    step,
)
from agent.evaluate import plan_findings
from agent.findings import Finding, Severity

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
MINUTE = timedelta(minutes=1)


def finding(spec: str) -> Finding:
    """``"data_low@95"`` → Finding("data_low", level=95); the message tells the level."""
    code, _, level = spec.partition("@")
    return Finding(code, f"{code} at {level or 0}", {"level": int(level or 0)}, int(level or 0))


def run(
    polls: list[list[str]],
    policy: AlertPolicy | None = None,
    every: timedelta = MINUTE,
    book: AlertBook | None = None,
) -> tuple[AlertBook, list[list[str]]]:
    """Each poll's findings in, each poll's events out as ``"kind code"``."""
    policy = policy or AlertPolicy()
    book = book or AlertBook()
    out: list[list[str]] = []
    for i, poll in enumerate(polls):
        book, events = step(book, [finding(s) for s in poll], T0 + i * every, policy)
        out.append([f"{e.kind} {e.code}" for e in events])
    return book, out


def events_at(book: AlertBook, polls: list[tuple[datetime, list[str]]], policy: AlertPolicy):
    stream: list[list[AlertEvent]] = []
    for now, poll in polls:
        book, events = step(book, [finding(s) for s in poll], now, policy)
        stream.append(events)
    return book, stream


# Each row: the findings of successive polls, and the events each poll must give.
SCENARIOS = {
    "a data cycle: 80 % → 95 % → exhausted → the new cycle clears it": (
        [[], ["data_low@80"], ["data_low@80"], ["data_low@95"], ["data_exhausted@100"], [], []],
        [
            [],
            ["raise data_low"],
            [],
            ["escalate data_low"],
            ["escalate data_exhausted"],
            [],
            ["resolve data_exhausted"],
        ],
    ),
    "a top-up from exhausted back to 90 %: exhausted resolves, data_low@80 raises": (
        [["data_exhausted@100"], ["data_exhausted@100"], ["data_low@80"], ["data_low@80"], []],
        [
            ["raise data_exhausted"],
            [],
            [],
            ["resolve data_exhausted", "raise data_low"],
            [],
        ],
    ),
    "a top-up then a new cycle: both alerts resolve, one at a time": (
        [["data_exhausted@100"], ["data_low@80"], ["data_low@80"], [], [], []],
        [
            ["raise data_exhausted"],
            [],
            ["resolve data_exhausted", "raise data_low"],
            [],
            ["resolve data_low"],
            [],
        ],
    ),
    "usage dips below the level for one poll only: no flapping": (
        [["data_exhausted@100"], ["data_low@95"], ["data_exhausted@100"], ["data_low@95"]],
        [["raise data_exhausted"], [], [], []],
    ),
    "a SIM swap: sim_changed raised once, resolved once it is gone": (
        [[], ["sim_changed"], [], [], [], ["sim_changed"]],
        [[], ["raise sim_changed"], [], ["resolve sim_changed"], [], ["raise sim_changed"]],
    ),
    "not_registered hovering on and off every poll: raised once, never flaps": (
        [["not_registered"], [], ["not_registered"], [], ["not_registered"], [], []],
        [["raise not_registered"], [], [], [], [], [], ["resolve not_registered"]],
    ),
    "expiry: 30 → 7 → 1 days → expired → renewed": (
        [
            ["expiry_soon@970"],
            ["expiry_soon@993"],
            ["expiry_soon@999"],
            ["expired"],
            [],
            [],
        ],
        [
            ["raise expiry_soon"],
            ["escalate expiry_soon"],
            ["escalate expiry_soon"],
            ["escalate expired"],
            [],
            ["resolve expired"],
        ],
    ),
    "a package renewed 7 days before expiry into a 30-day window": (
        [["expiry_soon@993"], ["expiry_soon@970"], ["expiry_soon@970"]],
        [["raise expiry_soon"], [], ["resolve expiry_soon", "raise expiry_soon"]],
    ),
    "independent keys: resolves first, then raises, each sorted by key": (
        [
            ["sim_absent", "signal_weak"],
            ["sim_absent", "signal_weak"],
            ["not_registered", "data_low@80"],
            ["not_registered", "data_low@80", "counters_unavailable"],
        ],
        [
            ["raise signal_weak", "raise sim_absent"],
            [],
            ["raise data_low", "raise not_registered"],
            [
                "resolve signal_weak",
                "resolve sim_absent",
                "raise counters_unavailable",
            ],
        ],
    ),
    "two findings of one family in one poll: the higher one counts": (
        [["data_low@80", "data_exhausted@100"], ["data_exhausted@100", "data_low@95"]],
        [["raise data_exhausted"], []],
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenarios(name: str) -> None:
    polls, expected = SCENARIOS[name]
    _, got = run(polls)
    assert got == expected


def test_clear_polls_one_resolves_at_the_first_absent_poll() -> None:
    _, got = run([["signal_weak"], [], ["signal_weak"]], AlertPolicy(clear_polls=1))
    assert got == [["raise signal_weak"], ["resolve signal_weak"], ["raise signal_weak"]]


def test_clear_polls_three_needs_three_absent_polls_in_a_row() -> None:
    polls = [["signal_weak"], [], [], ["signal_weak"], [], [], []]
    _, got = run(polls, AlertPolicy(clear_polls=3))
    assert got == [["raise signal_weak"], [], [], [], [], [], ["resolve signal_weak"]]


def test_clear_after_also_needs_the_time_to_pass() -> None:
    # Polls a minute apart, absent from the second poll on: 2 polls are reached at the third,
    # 5 minutes since the first absent poll only at the seventh.
    polls = [["not_registered"]] + [[]] * 7
    _, got = run(polls, AlertPolicy(clear_polls=2, clear_after=300))
    assert got == [["raise not_registered"], [], [], [], [], [], ["resolve not_registered"], []]


def test_escalation_keeps_since_and_a_de_escalation_starts_a_new_one() -> None:
    book = AlertBook()
    seen: list[AlertEvent] = []
    for i, spec in enumerate(
        ["data_low@80", "data_low@95", "data_exhausted@100"] + ["data_low@80"] * 2
    ):
        book, events = step(book, [finding(spec)], T0 + i * MINUTE, AlertPolicy())
        seen += events
    kinds = [(e.kind, e.code, e.since) for e in seen]
    assert kinds == [
        ("raise", "data_low", T0),
        ("escalate", "data_low", T0),
        ("escalate", "data_exhausted", T0),
        ("resolve", "data_exhausted", T0),
        ("raise", "data_low", T0 + 4 * MINUTE),
    ]
    assert [e.severity for e in seen] == [
        Severity.WARNING,
        Severity.WARNING,
        Severity.CRITICAL,
        Severity.CRITICAL,
        Severity.WARNING,
    ]
    assert seen[3].message == "Resolved: data_exhausted at 100"
    assert seen[4].facts == {"level": 80}


def test_a_standing_alert_follows_the_latest_message_and_facts() -> None:
    policy = AlertPolicy(remind=3600)
    a = Finding("data_low", "used 81%", {"used_pct": 81.0}, 80)
    b = Finding("data_low", "used 88%", {"used_pct": 88.0}, 80)
    book, _ = step(AlertBook(), [a], T0, policy)
    book, events = step(book, [b], T0 + MINUTE, policy)
    assert events == []
    book, events = step(book, [b], T0 + timedelta(hours=1), policy)
    assert [(e.kind, e.message, e.facts) for e in events] == [
        ("remind", "used 88%", {"used_pct": 88.0})
    ]


def test_real_plan_findings_run_through_the_lifecycle() -> None:
    """data_low / data_exhausted as agent.evaluate produces them for a 30 MB plan."""
    quota = 30_000_000

    def at(used: int) -> list[Finding]:
        return plan_findings(
            iccid="89860412345678901234",
            plan_name="iot-30m",
            quota_bytes=quota,
            used_bytes=used,
            remaining_bytes=quota - used,
            exhausted=used >= quota,
            warn_at=(80, 95),
            days_to_expiry=200,
            expires=date(2027, 6, 30),
            warn_days=(30, 7, 1),
            forecast=None,
        )

    book = AlertBook()
    got = []
    usage = [10, 24, 25, 28.6, 30, 30, 27, 27, 1, 1]  # MB; a top-up, then a new cycle
    for i, mb in enumerate(usage):
        book, events = step(book, at(int(mb * 1_000_000)), T0 + i * MINUTE, AlertPolicy())
        got.append([f"{e.kind} {e.code}" for e in events])
    assert got == [
        [],
        ["raise data_low"],
        [],
        ["escalate data_low"],
        ["escalate data_exhausted"],
        [],
        [],
        ["resolve data_exhausted", "raise data_low"],
        [],
        ["resolve data_low"],
    ]


# --- reminders ------------------------------------------------------------------------------


def test_reminder_at_exactly_the_interval_not_before() -> None:
    policy = AlertPolicy(remind=3600)
    hour = timedelta(hours=1)
    polls = [
        (T0, ["sim_locked"]),
        (T0 + hour - timedelta(seconds=1), ["sim_locked"]),
        (T0 + hour, ["sim_locked"]),
        (T0 + hour + timedelta(minutes=59), ["sim_locked"]),
        (T0 + 2 * hour, ["sim_locked"]),
    ]
    _, stream = events_at(AlertBook(), polls, policy)
    assert [[(e.kind, e.at) for e in events] for events in stream] == [
        [("raise", T0)],
        [],
        [("remind", T0 + hour)],
        [],
        [("remind", T0 + 2 * hour)],
    ]
    assert stream[2][0].since == T0


def test_an_escalation_restarts_the_reminder_interval() -> None:
    policy = AlertPolicy(remind=3600)
    polls = [
        (T0, ["data_low@80"]),
        (T0 + timedelta(minutes=50), ["data_low@95"]),
        (T0 + timedelta(minutes=70), ["data_low@95"]),
        (T0 + timedelta(minutes=110), ["data_low@95"]),
    ]
    _, stream = events_at(AlertBook(), polls, policy)
    assert [[e.kind for e in events] for events in stream] == [
        ["raise"],
        ["escalate"],
        [],
        ["remind"],
    ]


def test_no_reminders_while_an_alert_waits_to_clear() -> None:
    policy = AlertPolicy(remind=60, clear_polls=2, clear_after=3600)
    _, got = run([["signal_weak"], [], [], [], ["signal_weak"]], policy, every=timedelta(minutes=5))
    assert got == [["raise signal_weak"], [], [], [], ["remind signal_weak"]]


def test_remind_zero_or_infinite_never_reminds() -> None:
    for remind in (0.0, float("inf")):
        _, got = run([["sim_absent"]] * 3, AlertPolicy(remind=remind), every=timedelta(days=30))
        assert got == [["raise sim_absent"], [], []]


def test_clock_set_back_neither_bursts_nor_silences_reminders() -> None:
    policy = AlertPolicy(remind=3600)
    back = T0 - timedelta(days=365)  # NTP corrects a clock that ran a year ahead
    polls = [
        (T0, ["sim_absent"]),
        (back, ["sim_absent"]),
        (back + timedelta(minutes=30), ["sim_absent"]),
        (back + timedelta(minutes=59), ["sim_absent"]),
        (back + timedelta(minutes=60), ["sim_absent"]),
        (back + timedelta(minutes=61), ["sim_absent"]),
    ]
    book, stream = events_at(AlertBook(), polls, policy)
    assert [[e.kind for e in events] for events in stream] == [
        ["raise"],
        [],
        [],
        [],
        ["remind"],
        [],
    ]
    assert book.get("sim_absent").since == T0  # when it was raised, by the clock of the time


def test_clock_set_forward_gives_one_reminder_not_a_burst() -> None:
    policy = AlertPolicy(remind=3600)
    ahead = T0 + timedelta(days=30)
    polls = [(T0, ["sim_absent"]), (ahead, ["sim_absent"]), (ahead + MINUTE, ["sim_absent"])]
    _, stream = events_at(AlertBook(), polls, policy)
    assert [[e.kind for e in events] for events in stream] == [["raise"], ["remind"], []]


def test_clock_set_back_while_waiting_to_clear_restarts_the_wait() -> None:
    policy = AlertPolicy(clear_polls=2, clear_after=600)
    polls = [
        (T0, ["signal_weak"]),
        (T0 + timedelta(minutes=1), []),
        (T0 - timedelta(hours=1), []),  # absent since moves back with the clock
        (T0 - timedelta(minutes=55), []),
        (T0 - timedelta(minutes=50), []),
    ]
    _, stream = events_at(AlertBook(), polls, policy)
    assert [[e.kind for e in events] for events in stream] == [["raise"], [], [], [], ["resolve"]]


# --- restart and the stored book --------------------------------------------------------------


def test_a_restart_repeats_nothing_and_forgets_nothing() -> None:
    policy = AlertPolicy(remind=3600)
    book, _ = run([["data_low@80", "sim_changed"], ["data_low@95"]], policy)
    now = T0 + MINUTE
    restored = AlertBook.from_json(book.to_json())
    assert restored == book
    # The same poll again: nothing new, and sim_changed is not one poll closer to clearing.
    again, events = step(restored, [finding("data_low@95")], now, policy)
    assert events == []
    assert again == book
    # The next real poll goes on where the book left off.
    _, events = step(again, [finding("data_low@95")], now + MINUTE, policy)
    assert [(e.kind, e.code) for e in events] == [("resolve", "sim_changed")]


def test_event_ids_are_unique_and_the_same_after_a_restart() -> None:
    polls = [["data_low@80"], ["data_low@95"], [], [], ["data_low@80"], ["data_exhausted@100"]]
    policy = AlertPolicy()
    book = AlertBook()
    plain: list[str] = []
    restored_ids: list[str] = []
    restored = AlertBook()
    for i, poll in enumerate(polls):
        now = T0 + i * MINUTE
        book, events = step(book, [finding(s) for s in poll], now, policy)
        plain += [e.id for e in events]
        restored, events = step(
            AlertBook.from_json(restored.to_json()), [finding(s) for s in poll], now, policy
        )
        restored_ids += [e.id for e in events]
    assert plain == restored_ids
    assert len(set(plain)) == len(plain) == 5
    since_ms = round(T0.timestamp() * 1000)
    assert plain[0] == f"data:{since_ms}:raise:1"


def test_facts_are_stored_as_json_gives_them_back() -> None:
    f = Finding("expired", "expired", {"expires": date(2026, 11, 1), "n": (1, 2)})
    book, events = step(AlertBook(), [f], T0, AlertPolicy())
    assert events[0].facts == {"expires": "2026-11-01", "n": [1, 2]}
    assert AlertBook.from_json(book.to_json()) == book
    json.dumps([e.to_json() for e in events])  # what a sink sends


def test_editing_an_event_does_not_edit_the_book() -> None:
    book, events = step(AlertBook(), [finding("data_low@80")], T0, AlertPolicy())
    events[0].facts["level"] = 99
    assert book.get("data").facts == {"level": 80}


VALID = AlertBook(
    alerts=(
        ActiveAlert(
            key="data",
            code="data_low",
            level=95,
            severity=Severity.WARNING,
            message="used 96%",
            facts={"used_pct": 96.0},
            since=T0,
            last_sent=T0 + MINUTE,
            absent_polls=1,
            absent_since=T0 + 2 * MINUTE,
        ),
    ),
    last_poll=T0 + 2 * MINUTE,
    seq=7,
).to_json()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        "42",
        '"text"',
        "{",
        "{}",
        VALID[: len(VALID) // 2],
        VALID.replace('"version": 1', '"version": 2'),
        VALID.replace('"seq": 7', '"seq": -1'),
        VALID.replace('"seq": 7', '"seq": true'),
        VALID.replace('"level": 95', '"level": "95"'),
        VALID.replace('"key": "data"', '"key": "expiry"'),
        VALID.replace('"severity": "warning"', '"severity": "dire"'),
        VALID.replace("+08:00", ""),  # naive times
        VALID.replace('"absent_polls": 1', '"absent_polls": 0'),
        VALID.replace('"facts": {', '"facts": [{').replace("96.0}", "96.0}]"),
        "[" * 100_000,
        "\udcff",
    ],
)
def test_a_corrupt_book_reads_as_empty(text: str) -> None:
    assert AlertBook.from_json(text) == AlertBook()


def test_a_valid_book_reads_back_whole() -> None:
    book = AlertBook.from_json(VALID)
    assert book.seq == 7
    assert book.keys == ("data",)
    assert book.get("data").absent_polls == 1
    assert book.to_json() == VALID


def test_a_forgotten_book_raises_what_still_stands() -> None:
    book, _ = run([["sim_absent"]])
    _, events = step(AlertBook.from_json("garbage"), [finding("sim_absent")], T0, AlertPolicy())
    assert [e.kind for e in events] == ["raise"]
    assert book.get("sim_absent") is not None


# --- keys, ranks and the edges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("data_low", "data"),
        ("data_exhausted", "data"),
        ("expiry_soon", "expiry"),
        ("expired", "expiry"),
        ("sim_changed", "sim_changed"),
        ("modem_unresponsive", "modem_unresponsive"),
    ],
)
def test_alert_keys(code: str, key: str) -> None:
    assert alert_key(code) == key


def test_ranks_order_each_family() -> None:
    data = [("data_low", 80), ("data_low", 95), ("data_exhausted", 100)]
    expiry = [("expiry_soon", 970), ("expiry_soon", 993), ("expiry_soon", 999), ("expired", 0)]
    for family in (data, expiry):
        ranks = [alert_rank(code, level) for code, level in family]
        assert ranks == sorted(ranks)
        assert len(set(ranks)) == len(ranks)


def test_an_unknown_code_is_alerted_as_unknown() -> None:
    _, events = step(AlertBook(), [Finding("sim_on_fire", "smoke")], T0, AlertPolicy())
    assert [(e.kind, e.key, e.severity) for e in events] == [
        ("raise", "sim_on_fire", Severity.UNKNOWN)
    ]


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        step(AlertBook(), [], datetime(2026, 11, 20, 9, 0), AlertPolicy())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clear_polls": 0},
        {"clear_after": -1.0},
        {"clear_after": float("inf")},
        {"remind": float("nan")},
    ],
)
def test_a_policy_that_cannot_work_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        AlertPolicy(**kwargs)


def test_step_leaves_its_input_book_alone() -> None:
    book, _ = run([["sim_absent"]])
    before = book.to_json()
    step(book, [], T0 + MINUTE, AlertPolicy(clear_polls=1))
    assert book.to_json() == before
