"""Billing cycles, quota buckets and the run-out forecast (agent/plan.py)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.plan import (
    Addon,
    Cycle,
    Plan,
    cycle_at,
    cycle_for_day,
    cycles_between,
    draw,
    forecast_exhausted,
    local_midnight,
    quota_state,
    usage_rate,
)

UTC = timezone.utc
MB = 1_000_000
D = date.fromisoformat


def at(text: str) -> datetime:
    """An aware instant; the ISO text must carry its offset."""
    when = datetime.fromisoformat(text)
    assert when.tzinfo is not None
    return when


def elapsed(cycle: Cycle) -> timedelta:
    """Real time between the cycle's bounds (not wall-clock time)."""
    return cycle.end_at.astimezone(UTC) - cycle.start_at.astimezone(UTC)


def monthly(reset_day: int = 1, tz: str = "UTC", quota: int = 100, **kw: object) -> Plan:
    return Plan("p", quota, "monthly", reset_day, tz, **kw)  # type: ignore[arg-type]


# -- cycles at month ends ----------------------------------------------------------------

MONTH_END_CASES = [
    # reset_day, a day inside, expected cycle start, expected cycle end
    (31, "2026-02-15", "2026-01-31", "2026-02-27"),  # 31 → 28 Feb in a common year
    (31, "2026-02-28", "2026-02-28", "2026-03-30"),
    (31, "2026-03-30", "2026-02-28", "2026-03-30"),
    (31, "2026-03-31", "2026-03-31", "2026-04-29"),  # 31 → 30 April
    (31, "2026-04-29", "2026-03-31", "2026-04-29"),
    (31, "2026-04-30", "2026-04-30", "2026-05-30"),
    (31, "2028-02-29", "2028-02-29", "2028-03-30"),  # leap year
    (29, "2026-02-27", "2026-01-29", "2026-02-27"),  # 29 in a common February → 28th
    (29, "2026-02-28", "2026-02-28", "2026-03-28"),
    (29, "2028-02-28", "2028-01-29", "2028-02-28"),  # leap February has a 29th
    (29, "2028-02-29", "2028-02-29", "2028-03-28"),
    (30, "2026-02-28", "2026-02-28", "2026-03-29"),
    (30, "2028-02-28", "2028-01-30", "2028-02-28"),
    (30, "2028-02-29", "2028-02-29", "2028-03-29"),
    (30, "2028-03-30", "2028-03-30", "2028-04-29"),
    (1, "2026-02-28", "2026-02-01", "2026-02-28"),
    (1, "2028-02-29", "2028-02-01", "2028-02-29"),
    (1, "2026-03-01", "2026-03-01", "2026-03-31"),
    (1, "2026-12-31", "2026-12-01", "2026-12-31"),  # across the year
    (1, "2027-01-01", "2027-01-01", "2027-01-31"),
    (15, "2026-12-20", "2026-12-15", "2027-01-14"),
    (15, "2027-01-03", "2026-12-15", "2027-01-14"),
    (15, "2027-01-15", "2027-01-15", "2027-02-14"),
]


@pytest.mark.parametrize(("reset_day", "day", "start", "end"), MONTH_END_CASES)
def test_cycle_at_month_ends(reset_day: int, day: str, start: str, end: str) -> None:
    plan = monthly(reset_day)
    cycle = cycle_at(plan, at(f"{day}T12:00:00+00:00"))
    assert (cycle.start, cycle.end) == (D(start), D(end))
    assert cycle.start_at == datetime.fromisoformat(f"{start}T00:00:00+00:00")
    assert cycle.end_at == datetime.combine(D(end) + timedelta(days=1), datetime.min.time(), UTC)


def test_cycles_tile_every_day_for_every_reset_day() -> None:
    """Four years (one leap) for reset days 1..31: cycles contain the day, follow each other
    without gap or overlap, and start on the reset day clamped to the month's end."""
    for reset_day in range(1, 32):
        plan = monthly(reset_day)
        day = D("2026-01-01")
        cycle = cycle_for_day(plan, day)
        while day < D("2030-01-01"):
            if day > cycle.end:
                nxt = cycle_for_day(plan, day)
                assert nxt.start == cycle.end + timedelta(days=1)
                cycle = nxt
            assert cycle.start <= day <= cycle.end
            last = calendar.monthrange(cycle.start.year, cycle.start.month)[1]
            assert cycle.start.day == min(reset_day, last)
            day += timedelta(days=1)


def test_cycle_uses_the_plan_timezone_not_utc() -> None:
    plan = monthly(1, "Asia/Shanghai")
    # 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai (UTC+8).
    cycle = cycle_at(plan, at("2026-11-30T16:30:00+00:00"))
    assert cycle.start == D("2026-12-01")
    assert cycle.start_at == at("2026-12-01T00:00:00+08:00")
    assert cycle_at(plan, at("2026-11-30T15:59:59+00:00")).start == D("2026-11-01")


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cycle_at(monthly(), datetime(2026, 11, 1, 12))


# -- daylight saving time ----------------------------------------------------------------


def test_berlin_cycle_starting_on_the_spring_forward_day() -> None:
    # Europe/Berlin moves to CEST at 02:00 on 29 March 2026.
    plan = monthly(29, "Europe/Berlin")
    cycle = cycle_at(plan, at("2026-03-28T23:30:00+00:00"))  # 00:30 CET on the 29th
    assert cycle.start == D("2026-03-29")
    assert cycle.start_at == at("2026-03-29T00:00:00+01:00")
    assert cycle.end_at == at("2026-04-29T00:00:00+02:00")
    assert elapsed(cycle) == timedelta(days=31, hours=-1)
    before = cycle_at(plan, at("2026-03-28T22:59:59+00:00"))
    assert before.start == D("2026-02-28")  # 29 clamped in February 2026
    assert before.end_at == cycle.start_at


def test_berlin_cycle_starting_on_the_fall_back_day() -> None:
    # Europe/Berlin returns to CET at 03:00 on 25 October 2026.
    plan = monthly(25, "Europe/Berlin")
    cycle = cycle_at(plan, at("2026-10-24T22:00:00+00:00"))
    assert cycle.start_at == at("2026-10-25T00:00:00+02:00")
    assert cycle.end_at == at("2026-11-25T00:00:00+01:00")
    assert elapsed(cycle) == timedelta(days=31, hours=1)
    assert cycle_at(plan, at("2026-10-24T21:59:59+00:00")).start == D("2026-09-25")


@pytest.mark.parametrize(
    ("reset_day", "instant", "start_at", "hours"),
    [
        # America/New_York: EDT from 02:00 on 8 March 2026, EST from 02:00 on 1 November.
        (8, "2026-03-08T05:00:00+00:00", "2026-03-08T00:00:00-05:00", 31 * 24 - 1),
        (1, "2026-11-01T04:00:00+00:00", "2026-11-01T00:00:00-04:00", 30 * 24 + 1),
    ],
)
def test_new_york_cycles_on_dst_days(
    reset_day: int, instant: str, start_at: str, hours: int
) -> None:
    plan = monthly(reset_day, "America/New_York")
    cycle = cycle_at(plan, at(instant))
    assert cycle.start_at == at(start_at)
    assert elapsed(cycle) == timedelta(hours=hours)
    one_second_earlier = cycle_at(plan, at(instant) - timedelta(seconds=1))
    assert one_second_earlier.end == cycle.start - timedelta(days=1)


def test_day_without_a_midnight_starts_after_the_gap() -> None:
    # America/Santiago springs forward at 24:00 on Saturday 5 September 2026: the clocks
    # go from 23:59:59 to 01:00 on Sunday 6 September, so that day has no 00:00.
    tz = ZoneInfo("America/Santiago")
    start = local_midnight(D("2026-09-06"), tz)
    assert start == at("2026-09-06T01:00:00-03:00")
    day_before = local_midnight(D("2026-09-05"), tz)
    assert start.astimezone(UTC) - day_before.astimezone(UTC) == timedelta(hours=24)
    cycle = cycle_at(monthly(6, "America/Santiago"), at("2026-09-06T04:00:00+00:00"))
    assert cycle.start == D("2026-09-06")
    assert cycle.start_at == start


# -- once plans and ranges ---------------------------------------------------------------


def test_once_plan_cycle_is_its_validity() -> None:
    plan = Plan("pkg", 10 * MB, "once", 1, "Asia/Shanghai", D("2026-03-15"), D("2027-03-14"))
    for instant in ("2026-03-20T00:00:00+08:00", "2026-12-31T23:00:00+08:00"):
        cycle = cycle_at(plan, at(instant))
        assert (cycle.start, cycle.end) == (D("2026-03-15"), D("2027-03-14"))
        assert cycle.start_at == at("2026-03-15T00:00:00+08:00")
        assert cycle.end_at == at("2027-03-15T00:00:00+08:00")
    assert (
        len(cycles_between(plan, at("2026-01-01T00:00:00+00:00"), at("2027-06-01T00:00:00+00:00")))
        == 1
    )


def test_once_plan_requires_start_and_expires() -> None:
    with pytest.raises(ValueError, match="start and expires"):
        Plan("pkg", MB, "once", expires=D("2027-01-01"))


def test_cycles_between_crosses_the_year() -> None:
    plan = monthly(15)
    cycles = cycles_between(plan, at("2026-11-20T00:00:00+00:00"), at("2027-02-14T23:00:00+00:00"))
    assert [(c.start, c.end) for c in cycles] == [
        (D("2026-11-15"), D("2026-12-14")),
        (D("2026-12-15"), D("2027-01-14")),
        (D("2027-01-15"), D("2027-02-14")),
    ]
    assert (
        cycles_between(plan, at("2027-01-01T00:00:00+00:00"), at("2026-01-01T00:00:00+00:00")) == []
    )


# -- buckets -----------------------------------------------------------------------------


def noon(day: str) -> datetime:
    return at(f"{day}T12:00:00+00:00")


def test_usage_within_the_plan_bucket() -> None:
    plan = monthly(quota=100)
    state = quota_state(plan, {D("2026-11-02"): 30, D("2026-11-05"): 20}, noon("2026-11-06"))
    assert (state.used_bytes, state.remaining_bytes, state.quota_bytes) == (50, 50, 100)
    assert state.exhausted is False
    assert [(b.kind, b.used_bytes, b.left_bytes) for b in state.buckets] == [("plan", 50, 50)]


def test_previous_cycle_leftover_dies_and_future_days_are_ignored() -> None:
    plan = monthly(quota=100)
    usage = {D("2026-10-20"): 10, D("2026-11-03"): 40, D("2026-11-09"): 999}
    state = quota_state(plan, usage, noon("2026-11-05"))
    assert (state.used_bytes, state.remaining_bytes) == (40, 60)


def test_addon_expiring_before_the_cycle_is_drawn_first() -> None:
    plan = monthly(quota=100, addons=(Addon(100, D("2026-11-05"), D("2026-11-20")),))
    state = quota_state(plan, {D("2026-11-10"): 150}, noon("2026-11-12"))
    plan_bucket, addon = state.buckets
    assert (plan_bucket.used_bytes, addon.used_bytes) == (50, 100)
    assert state.remaining_bytes == 50
    assert state.quota_bytes == 200


def test_plan_bucket_first_when_an_addon_expires_the_same_day() -> None:
    plan = monthly(quota=100, addons=(Addon(100, D("2026-11-05"), D("2026-11-30")),))
    state = quota_state(plan, {D("2026-11-10"): 150}, noon("2026-11-12"))
    assert [(b.kind, b.used_bytes) for b in state.buckets] == [("plan", 100), ("addon", 50)]


def test_addon_that_starts_mid_cycle_and_outlives_it() -> None:
    plan = monthly(quota=100, addons=(Addon(1000, D("2026-11-20"), D("2026-12-19")),))
    usage = {D("2026-11-21"): 150, D("2026-12-03"): 30}
    november = quota_state(plan, usage, noon("2026-11-25"))
    assert [(b.kind, b.used_bytes) for b in november.buckets] == [("plan", 100), ("addon", 50)]
    assert november.remaining_bytes == 950
    # In December the add-on (ends 19 Dec) expires before the new plan bucket (31 Dec).
    december = quota_state(plan, usage, noon("2026-12-05"))
    assert [(b.kind, b.start, b.used_bytes, b.left_bytes) for b in december.buckets] == [
        ("plan", D("2026-12-01"), 0, 100),
        ("addon", D("2026-11-20"), 80, 920),
    ]
    assert (december.used_bytes, december.remaining_bytes, december.quota_bytes) == (30, 1020, 1100)
    after = quota_state(plan, usage, noon("2026-12-20"))
    assert after.remaining_bytes == 100  # the add-on's 920 died with it
    assert after.quota_bytes == 100
    assert [b.left_bytes for b in after.buckets] == [100, 0]


def test_chained_addons_reach_back_across_cycles() -> None:
    # The second add-on's leftover depends on the first one's, which began two cycles ago.
    plan = monthly(
        quota=10,
        addons=(
            Addon(100, D("2026-09-20"), D("2026-10-25")),
            Addon(100, D("2026-10-10"), D("2026-11-30")),
        ),
    )
    usage = {D("2026-09-21"): 90, D("2026-10-12"): 40}
    state = quota_state(plan, usage, noon("2026-11-02"))
    # 21 Sep: plan(Sep) 10, add-on 1 80. 12 Oct: plan(Oct) 10, add-on 1 20, add-on 2 10.
    assert [(b.kind, b.used_bytes, b.left_bytes) for b in state.buckets] == [
        ("plan", 0, 10),
        ("addon", 10, 90),
    ]


def test_negative_calibration_gives_back_in_reverse_draw_order() -> None:
    plan = monthly(quota=100, addons=(Addon(1000, D("2026-11-01"), D("2026-12-31")),))
    usage = {D("2026-11-02"): 300, D("2026-11-03"): -250}
    state = quota_state(plan, usage, noon("2026-11-04"))
    assert [(b.kind, b.used_bytes) for b in state.buckets] == [("plan", 50), ("addon", 0)]
    assert (state.used_bytes, state.remaining_bytes) == (50, 1050)


def test_overage_then_calibration() -> None:
    plan = monthly(quota=100)
    usage = {D("2026-11-02"): 150}
    over = quota_state(plan, usage, noon("2026-11-02"))
    assert (over.remaining_bytes, over.overage_bytes, over.exhausted) == (0, 50, True)
    usage[D("2026-11-03")] = -30
    still = quota_state(plan, usage, noon("2026-11-03"))
    assert (still.remaining_bytes, still.overage_bytes, still.exhausted) == (0, 20, True)
    usage[D("2026-11-04")] = -40
    back = quota_state(plan, usage, noon("2026-11-04"))
    # -40 clears the 20 of overage, then gives 20 back to the plan bucket.
    assert (back.remaining_bytes, back.overage_bytes, back.exhausted) == (20, 0, False)
    assert back.used_bytes == 80


def test_expiry_counts_local_days() -> None:
    plan = monthly(1, "Asia/Shanghai", quota=100, expires=D("2026-11-15"))
    # 15:59 UTC on the 15th is 23:59 local: still the last valid day.
    last_day = quota_state(plan, {}, at("2026-11-15T15:59:00+00:00"))
    assert (last_day.days_to_expiry, last_day.remaining_bytes) == (0, 100)
    assert last_day.renews_at is None  # expires before the cycle would renew
    after = quota_state(plan, {}, at("2026-11-15T16:01:00+00:00"))
    assert (after.days_to_expiry, after.remaining_bytes, after.exhausted) == (-1, 0, True)
    early = quota_state(plan, {}, at("2026-10-01T12:00:00+08:00"))
    assert early.days_to_expiry == 45
    assert early.renews_at == at("2026-11-01T00:00:00+08:00")


def test_once_plan_draws_one_bucket_for_its_whole_validity() -> None:
    plan = Plan("pkg", 1000, "once", 1, "UTC", D("2026-01-10"), D("2027-01-09"))
    usage = {D("2026-01-05"): 7, D("2026-02-01"): 300, D("2026-07-01"): 400}
    state = quota_state(plan, usage, noon("2026-08-01"))
    assert (state.used_bytes, state.remaining_bytes) == (700, 300)
    assert state.overage_bytes == 0  # the 7 bytes before activation are not this cycle's
    assert state.cycle.start == D("2026-01-10")


# -- the conservation property -----------------------------------------------------------

BASE = D("2026-01-01")


@st.composite
def scenarios(draw_: st.DrawFn, allow_negative: bool) -> tuple[Plan, dict[date, int], date]:
    quota = draw_(st.integers(0, 500))
    reset_day = draw_(st.integers(1, 31))
    addons = []
    for _ in range(draw_(st.integers(0, 3))):
        start = BASE + timedelta(days=draw_(st.integers(-20, 80)))
        length = draw_(st.integers(0, 60))
        addons.append(Addon(draw_(st.integers(0, 500)), start, start + timedelta(days=length)))
    low = -300 if allow_negative else 0
    usage = draw_(
        st.dictionaries(
            st.integers(0, 99).map(lambda n: BASE + timedelta(days=n)),
            st.integers(low, 400),
            max_size=40,
        )
    )
    last = BASE + timedelta(days=draw_(st.integers(0, 99)))
    return monthly(reset_day, quota=quota, addons=tuple(addons)), usage, last


@settings(max_examples=150, deadline=None)
@given(scenarios(allow_negative=False))
def test_draw_conserves_non_negative_usage(case: tuple[Plan, dict[date, int], date]) -> None:
    plan, usage, last = case
    result = draw(plan, usage, BASE, last)
    drawn = sum(n for d, n in usage.items() if d <= last)
    assert sum(b.used for b in result.buckets) + result.overage == drawn
    assert result.unclaimed == 0
    for bucket in result.buckets:
        assert 0 <= bucket.used <= bucket.quota


@settings(max_examples=150, deadline=None)
@given(scenarios(allow_negative=True))
def test_draw_conserves_usage_with_calibrations(case: tuple[Plan, dict[date, int], date]) -> None:
    plan, usage, last = case
    result = draw(plan, usage, BASE, last)
    drawn = sum(n for d, n in usage.items() if d <= last)
    assert sum(b.used for b in result.buckets) + result.overage - result.unclaimed == drawn
    assert result.unclaimed >= 0
    assert all(v >= 0 for v in result.overage_by_cycle.values())
    for bucket in result.buckets:
        assert 0 <= bucket.used <= bucket.quota


@settings(max_examples=150, deadline=None)
@given(scenarios(allow_negative=True))
def test_remaining_is_never_negative(case: tuple[Plan, dict[date, int], date]) -> None:
    plan, usage, last = case
    state = quota_state(plan, usage, noon(last.isoformat()))
    assert 0 <= state.remaining_bytes <= state.quota_bytes
    assert state.remaining_bytes == sum(b.left_bytes for b in state.buckets)
    assert state.exhausted == (state.remaining_bytes == 0)
    assert state.used_bytes >= 0


# -- forecast ----------------------------------------------------------------------------


def steady(first: str, last: str, per_day: int) -> dict[date, int]:
    day, end, out = D(first), D(last), {}
    while day <= end:
        out[day] = per_day
        day += timedelta(days=1)
    return out


def test_forecast_at_the_recent_rate() -> None:
    plan = monthly(quota=30 * MB)
    usage = steady("2026-11-01", "2026-11-10", 2 * MB)
    usage[D("2026-11-01")] += MB  # outside the 7-day window: counts for the quota only
    now = at("2026-11-11T00:00:00+00:00")
    state = quota_state(plan, usage, now)
    assert state.remaining_bytes == 9 * MB
    # 2 MB a day over 4 Nov..10 Nov; 9 MB last 4.5 days → midday on 15 November.
    assert forecast_exhausted(state, usage, now, None) == D("2026-11-15")
    # A calibration day counts as 0, not -5 MB: 12 MB over 7 days; 9 MB last 5.25 days.
    calibrated = {**usage, D("2026-11-08"): -5 * MB}
    assert forecast_exhausted(state, calibrated, now, None) == D("2026-11-16")


def test_forecast_uses_history_start_when_later() -> None:
    plan = monthly(quota=12 * MB)
    usage = {D("2026-11-09"): 1_500_000, D("2026-11-10"): 3 * MB}
    now = at("2026-11-11T00:00:00+00:00")
    state = quota_state(plan, usage, now)
    # 4.5 MB over 1.5 days = 3 MB a day; 7.5 MB left → 2.5 days → midday 13 November.
    history = at("2026-11-09T12:00:00+00:00")
    assert forecast_exhausted(state, usage, now, history) == D("2026-11-13")


def test_no_forecast_without_a_day_of_history_or_without_use() -> None:
    plan = monthly(quota=10 * MB)
    now = at("2026-11-11T00:00:00+00:00")
    usage = {D("2026-11-10"): 5 * MB}
    state = quota_state(plan, usage, now)
    assert forecast_exhausted(state, usage, now, now - timedelta(hours=23)) is None
    assert forecast_exhausted(state, usage, now, now - timedelta(hours=25)) is not None
    assert forecast_exhausted(state, {}, now, None) is None


def test_no_forecast_when_the_quota_outlasts_the_cycle() -> None:
    plan = monthly(quota=30 * MB)
    usage = steady("2026-11-04", "2026-11-10", MB)
    now = at("2026-11-11T00:00:00+00:00")
    state = quota_state(plan, usage, now)
    assert forecast_exhausted(state, usage, now, None) is None  # 23 MB at 1 MB a day


def test_forecast_lets_an_addon_leftover_die() -> None:
    plan = monthly(quota=15 * MB, addons=(Addon(100 * MB, D("2026-11-01"), D("2026-11-12")),))
    usage = steady("2026-11-04", "2026-11-10", 10 * MB)
    now = at("2026-11-11T00:00:00+00:00")
    state = quota_state(plan, usage, now)
    assert state.remaining_bytes == 15 * MB + 30 * MB
    # The add-on (30 MB left) is drawn first and dies at the end of 12 Nov with 10 MB in
    # it; the plan's 15 MB then last 1.5 days → 14 November.
    assert forecast_exhausted(state, usage, now, None) == D("2026-11-14")


def test_forecast_once_plan_runs_out_past_no_renewal() -> None:
    plan = Plan("pkg", 40 * MB, "once", 1, "UTC", D("2026-11-01"), D("2026-12-31"))
    usage = steady("2026-11-04", "2026-11-10", MB)
    now = at("2026-11-11T00:00:00+00:00")
    state = quota_state(plan, usage, now)
    assert state.renews_at is None
    assert forecast_exhausted(state, usage, now, None) == D("2026-12-14")  # 33 MB left


def test_forecast_across_a_dst_change_with_local_now() -> None:
    # Europe/Berlin springs forward on 29 March 2026, so 22 Mar 00:00 to 29 Mar 12:00
    # local is 7.5 days less one hour. `now` given in the plan's own zone.
    plan = monthly(1, "Europe/Berlin", quota=100 * MB)
    tz = ZoneInfo("Europe/Berlin")
    usage = steady("2026-03-22", "2026-03-29", 2 * MB)
    now = datetime(2026, 3, 29, 12, 0, tzinfo=tz)
    state = quota_state(plan, usage, now)
    assert state.remaining_bytes == 84 * MB
    # 16 MB (22..29 March) over 179 real hours, not the 180 wall-clock hours.
    assert usage_rate(usage, now, None, tz) == pytest.approx(16 * MB / (179 * 3600))
    # 84 MB last 939.75 hours → 7 May, past the cycle end (1 April): no forecast.
    assert forecast_exhausted(state, usage, now, None) is None
    once = Plan("pkg", 100 * MB, "once", 1, "Europe/Berlin", D("2026-03-01"), D("2026-12-31"))
    once_state = quota_state(once, usage, now)
    # A once plan does not renew: 29 Mar 12:00 CEST + 939.75 h = 7 May 15:45 CEST.
    assert forecast_exhausted(once_state, usage, now, None) == D("2026-05-07")


def test_forecast_when_already_exhausted_is_today() -> None:
    plan = monthly(1, "Asia/Shanghai", quota=MB)
    usage = {D("2026-11-10"): 2 * MB}
    now = at("2026-11-10T20:00:00+00:00")  # already 11 November in Shanghai
    state = quota_state(plan, usage, now)
    assert forecast_exhausted(state, usage, now, None) == D("2026-11-11")
