"""The alert lifecycle over random poll sequences: what must hold whatever the findings do.

Each poll draws a set of findings (the data and expiry families at any of their levels, and a
few findings of their own) and a clock step that is mostly forward, sometimes zero (the same
poll again) and sometimes backward (NTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.alerts import AlertBook, AlertEvent, AlertPolicy, alert_key, alert_rank, step
from agent.findings import Finding

TZ = timezone(timedelta(hours=8))
START = datetime(2026, 11, 1, 0, 0, tzinfo=TZ)

DATA = [None, ("data_low", 80), ("data_low", 95), ("data_exhausted", 100)]
EXPIRY = [None, ("expiry_soon", 970), ("expiry_soon", 993), ("expiry_soon", 999), ("expired", 0)]
OTHERS = ["sim_changed", "not_registered", "signal_weak"]


def _finding(code: str, level: int = 0) -> Finding:
    return Finding(code, f"{code} {level}", {"level": level}, level)


polls_strategy = st.lists(
    st.tuples(
        st.sampled_from(DATA),
        st.sampled_from(EXPIRY),
        st.sets(st.sampled_from(OTHERS)),
        st.one_of(
            st.integers(min_value=1, max_value=7200),
            st.just(0),
            st.integers(min_value=-3600, max_value=-1),
        ),
    ),
    max_size=30,
)

policy_strategy = st.builds(
    AlertPolicy,
    remind=st.sampled_from([60.0, 1800.0, 3600.0]),
    clear_polls=st.integers(min_value=1, max_value=3),
    clear_after=st.sampled_from([0.0, 120.0]),
)


@dataclass
class Poll:
    now: datetime
    findings: list[Finding]
    before: AlertBook
    after: AlertBook
    events: list[AlertEvent]


def simulate(polls: list, policy: AlertPolicy, *, restart_each_poll: bool = False) -> list[Poll]:
    book = AlertBook()
    now = START
    out: list[Poll] = []
    for data, expiry, others, dt in polls:
        now += timedelta(seconds=dt)
        findings = [_finding(*data)] if data else []
        findings += [_finding(*expiry)] if expiry else []
        findings += [_finding(code) for code in sorted(others)]
        if restart_each_poll:
            book = AlertBook.from_json(book.to_json())
        after, events = step(book, findings, now, policy)
        out.append(Poll(now, findings, book, after, events))
        book = after
    return out


def _present(poll: Poll) -> dict[str, tuple[int, int]]:
    ranks: dict[str, tuple[int, int]] = {}
    for f in poll.findings:
        key = alert_key(f.code)
        ranks[key] = max(ranks.get(key, (-1, -1)), alert_rank(f.code, f.level))
    return ranks


@settings(max_examples=150, deadline=None)
@given(polls_strategy, policy_strategy)
def test_each_key_alternates_raise_and_resolve(polls: list, policy: AlertPolicy) -> None:
    standing: dict[str, bool] = {}
    for poll in simulate(polls, policy):
        for event in poll.events:
            up = standing.get(event.key, False)
            if event.kind == "raise":
                assert not up, f"{event.key} raised while it stands"
                standing[event.key] = True
            else:
                assert up, f"{event.kind} of {event.key}, which does not stand"
                if event.kind == "resolve":
                    standing[event.key] = False
        # The event stream and the book tell the same story.
        assert {k for k, up in standing.items() if up} == set(poll.after.keys)


@settings(max_examples=150, deadline=None)
@given(polls_strategy, policy_strategy)
def test_at_most_one_raise_per_appearance(polls: list, policy: AlertPolicy) -> None:
    raises: dict[str, int] = {}
    appearances: dict[str, int] = {}
    previous: dict[str, tuple[int, int]] = {}
    for poll in simulate(polls, policy):
        present = _present(poll)
        for key, rank in present.items():
            # A new appearance, or the family seen lower than before (a top-up, a renewal):
            # the only occasions that may lead to a raise.
            if key not in previous or rank < previous[key]:
                appearances[key] = appearances.get(key, 0) + 1
        per_key: dict[str, list[str]] = {}
        for event in poll.events:
            per_key.setdefault(event.key, []).append(event.kind)
            if event.kind == "raise":
                assert event.key in present, "raised without its finding"
                raises[event.key] = raises.get(event.key, 0) + 1
                assert raises[event.key] <= appearances[event.key]
        for kinds in per_key.values():
            assert kinds in (["raise"], ["escalate"], ["remind"], ["resolve"], ["resolve", "raise"])
        # Whatever is seen now is alerted now: nothing is forgotten.
        assert set(present) <= set(poll.after.keys)
        previous = present


@settings(max_examples=150, deadline=None)
@given(polls_strategy, policy_strategy)
def test_storing_the_book_between_polls_changes_nothing(polls: list, policy: AlertPolicy) -> None:
    plain = simulate(polls, policy)
    restarted = simulate(polls, policy, restart_each_poll=True)
    assert [p.events for p in plain] == [p.events for p in restarted]
    assert [p.after for p in plain] == [p.after for p in restarted]
    for poll in plain:
        # A restart that replays the last poll repeats nothing.
        again, events = step(
            AlertBook.from_json(poll.after.to_json()), poll.findings, poll.now, policy
        )
        assert events == []
        assert again == poll.after


@settings(max_examples=150, deadline=None)
@given(polls_strategy, policy_strategy)
def test_reminders_keep_their_interval(polls: list, policy: AlertPolicy) -> None:
    # The last send of each key, moved back with the clock when the clock goes back.
    sent: dict[str, datetime] = {}
    for poll in simulate(polls, policy):
        for key in sent:
            sent[key] = min(sent[key], poll.now)
        present = _present(poll)
        # Due: an alert seen at its level whose last send is at least `remind` ago.
        due = {
            alert.key
            for alert in poll.before.alerts
            if present.get(alert.key) == alert.rank
            and (poll.now - sent[alert.key]).total_seconds() >= policy.remind
        }
        sends = {e.key: e.kind for e in poll.events if e.kind != "resolve"}
        for key, kind in sends.items():
            if kind == "remind":
                assert key in due, f"{key} reminded before its interval"
        # Not silenced either, not even by a clock set back.
        assert due <= set(sends), f"due for a reminder, none sent: {due - set(sends)}"
        for key in sends:
            sent[key] = poll.now
        for key in set(sent) - set(poll.after.keys):
            del sent[key]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_from_json_never_raises(text: str) -> None:
    book = AlertBook.from_json(text)
    assert isinstance(book, AlertBook)


@settings(max_examples=100, deadline=None)
@given(polls_strategy, policy_strategy, st.data())
def test_a_damaged_record_reads_as_empty_or_whole(polls: list, policy: AlertPolicy, data) -> None:
    """Cutting or flipping a character of a stored book never raises and never half-reads."""
    book = simulate(polls, policy)[-1].after if polls else AlertBook()
    text = book.to_json()
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    damaged = text[:cut] + data.draw(st.sampled_from(["", "x", "}", "0", '"'])) + text[cut + 1 :]
    restored = AlertBook.from_json(damaged)
    if restored != AlertBook():
        assert AlertBook.from_json(restored.to_json()) == restored
