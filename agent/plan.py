"""Data plans: billing cycles, quota buckets and the run-out forecast. Pure; no I/O.

Dates here are local dates in the plan's timezone, because carriers reset and expire
packages at local midnight. An instant (``datetime``) must be timezone-aware.

Buckets work as carriers keep them: the plan's recurring quota is one bucket per cycle,
each add-on is a bucket with its own window (it may span cycles). Usage is drawn day by
day from the live bucket that expires first; a bucket's leftover dies with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Literal

from drivers.records import field, record

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

Period = Literal["monthly", "once"]
PERIODS: tuple[str, ...] = ("monthly", "once")

FORECAST_WINDOW_DAYS = 7
_DAY = timedelta(days=1)


@record
class Addon:
    """A top-up package: ``quota_bytes`` usable from ``start`` to ``until``, both inclusive."""

    quota_bytes: int
    start: date
    until: date

    def __post_init__(self) -> None:
        if self.quota_bytes < 0:
            raise ValueError("an add-on quota cannot be negative")
        if self.until < self.start:
            raise ValueError(f"add-on ends ({self.until}) before it starts ({self.start})")


@record
class Plan:
    """A data plan. ``expires`` is the last valid day; ``start`` the activation date.

    A ``monthly`` plan renews ``quota_bytes`` on ``reset_day`` (clamped to the month's last
    day). A ``once`` plan is one package from ``start`` to ``expires``, both required.
    """

    name: str
    quota_bytes: int
    period: Period = "monthly"
    reset_day: int = 1
    timezone: str = "UTC"
    start: date | None = None
    expires: date | None = None
    warn_at: tuple[int, ...] = (80, 95)
    warn_days: tuple[int, ...] = (30, 7, 1)
    addons: tuple[Addon, ...] = ()

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {self.period!r}")
        if not 1 <= self.reset_day <= 31:
            raise ValueError(f"reset_day must be between 1 and 31, not {self.reset_day}")
        if self.quota_bytes < 0:
            raise ValueError("a plan quota cannot be negative")
        if self.period == "once" and (self.start is None or self.expires is None):
            raise ValueError("a 'once' plan needs both start and expires")
        if self.start is not None and self.expires is not None and self.expires < self.start:
            raise ValueError(f"plan expires ({self.expires}) before it starts ({self.start})")
        # zoneinfo is imported only once a plan exists.
        from zoneinfo import ZoneInfo

        ZoneInfo(self.timezone)  # raises for an unknown zone, before any cycle is computed

    @property
    def tzinfo(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        # ZoneInfo keeps its own cache per key, so this is a dictionary lookup.
        return ZoneInfo(self.timezone)


@record
class Cycle:
    """A billing cycle: local dates ``start``..``end`` (inclusive) and the instants that
    bound it (``end_at`` exclusive: local midnight after ``end``).

    ``start_at`` and ``end_at`` carry the plan's zone, so they print as local times; to
    measure a cycle's length convert them to UTC first (Python subtracts datetimes that
    share a tzinfo as wall-clock times).
    """

    start: date
    end: date
    start_at: datetime
    end_at: datetime

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@record
class Bucket:
    """One quota bucket as it stands; ``left_bytes`` is 0 once the bucket has died."""

    kind: Literal["plan", "addon"]
    quota_bytes: int
    start: date
    end: date
    used_bytes: int = 0
    left_bytes: int = 0


@record
class QuotaState:
    """Where a plan stands at one instant.

    ``quota_bytes``: the plan quota plus the add-ons live now. ``used_bytes``: usage in this
    cycle (never below 0). ``remaining_bytes``: the sum of the live buckets' leftovers.
    ``renews_at``: when a fresh plan quota arrives (the cycle end of a monthly plan that is
    still valid then), else None.
    """

    cycle: Cycle
    quota_bytes: int
    used_bytes: int
    remaining_bytes: int
    buckets: tuple[Bucket, ...]
    expires: date | None
    days_to_expiry: int | None
    exhausted: bool
    overage_bytes: int = 0
    renews_at: datetime | None = None


# -- cycles ------------------------------------------------------------------------------


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local day, as an aware datetime in ``tz``.

    Where a zone skips midnight (DST starting at 00:00, e.g. America/Santiago) the day
    begins at the end of the gap; the UTC round trip finds that instant.
    """
    naive_midnight = datetime.combine(day, time(0), tzinfo=tz)
    return naive_midnight.astimezone(timezone.utc).astimezone(tz)


def local_date(when: datetime, tz: ZoneInfo) -> date:
    _require_aware(when)
    return when.astimezone(tz).date()


def _require_aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {when!r}")


def _reset_date(year: int, month: int, reset_day: int) -> date:
    import calendar  # only monthly plans need it

    return date(year, month, min(reset_day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _make_cycle(start: date, end: date, tz: ZoneInfo) -> Cycle:
    return Cycle(start, end, local_midnight(start, tz), local_midnight(end + _DAY, tz))


def cycle_for_day(plan: Plan, day: date) -> Cycle:
    """The cycle that contains the local date ``day``."""
    tz = plan.tzinfo
    if plan.period == "once":
        assert plan.start is not None and plan.expires is not None  # checked by Plan
        return _make_cycle(plan.start, plan.expires, tz)
    this_reset = _reset_date(day.year, day.month, plan.reset_day)
    if day >= this_reset:
        start = this_reset
        nxt = _reset_date(*_add_months(day.year, day.month, 1), plan.reset_day)
    else:
        start = _reset_date(*_add_months(day.year, day.month, -1), plan.reset_day)
        nxt = this_reset
    return _make_cycle(start, nxt - _DAY, tz)


def cycle_at(plan: Plan, when: datetime) -> Cycle:
    """The billing cycle in force at ``when`` (aware).

    Monthly: from ``reset_day`` in the plan's timezone, clamped to the month's last day
    (31 → 30 April, 28/29 February; 29 and 30 → the end of February), to the day before
    the next reset. Once: ``start``..``expires`` whatever ``when`` is.
    """
    return cycle_for_day(plan, local_date(when, plan.tzinfo))


def cycles_between(plan: Plan, a: datetime, b: datetime) -> list[Cycle]:
    """Every cycle that overlaps the instants ``a``..``b``, oldest first ([] if b < a)."""
    _require_aware(a)
    _require_aware(b)
    if b < a:
        return []
    tz = plan.tzinfo
    last = local_date(b, tz)
    cycles = [cycle_at(plan, a)]
    while cycles[-1].end < last and plan.period == "monthly":
        cycles.append(cycle_for_day(plan, cycles[-1].end + _DAY))
    return cycles


# -- buckets -----------------------------------------------------------------------------


@record(frozen=False)
class DrawBucket:
    """A bucket while usage is being drawn from it (mutable; see Bucket for the result)."""

    kind: Literal["plan", "addon"]
    quota: int
    start: date
    end: date
    order: int  # ties on `end`: the plan bucket first, then add-ons as configured
    used: int = 0

    @property
    def left(self) -> int:
        return self.quota - self.used

    def key(self) -> tuple[date, int]:
        return (self.end, self.order)

    def frozen(self, today: date) -> Bucket:
        alive = self.start <= today <= self.end
        return Bucket(
            self.kind,
            self.quota,
            self.start,
            self.end,
            self.used,
            max(self.left, 0) if alive else 0,
        )


@record(frozen=False)
class DrawResult:
    """The outcome of drawing daily usage through buckets (for tests and diagnostics).

    Invariant: sum of the usage drawn == sum of bucket uses + overage - unclaimed, where
    ``unclaimed`` is the part of negative calibrations that found nothing to give back to.
    """

    buckets: list[DrawBucket]
    overage_by_cycle: dict[date, int] = field(default_factory=dict)
    unclaimed: int = 0

    @property
    def overage(self) -> int:
        return sum(self.overage_by_cycle.values())


def draw(plan: Plan, daily_usage: Mapping[date, int], first: date, last: date) -> DrawResult:
    """Draw each day's usage from ``first`` to ``last`` through the plan's buckets.

    Each day takes from the live bucket that expires first (the plan bucket first on a tie)
    and overflows to the next; what no bucket holds is overage of that day's cycle. A
    negative amount (a calibration that lowers the count) is given back in reverse: first
    the cycle's overage, then the live buckets latest-expiring first.
    """
    result = DrawResult(
        buckets=[
            DrawBucket("addon", a.quota_bytes, a.start, a.until, i + 1)
            for i, a in enumerate(plan.addons)
        ]
    )
    plan_buckets: dict[date, DrawBucket] = {}
    day = first
    cycle: Cycle | None = None
    while day <= last:
        if cycle is None or not cycle.start <= day <= cycle.end:
            cycle = cycle_for_day(plan, day)  # a cycle holds every day from start to end
        plan_bucket = plan_buckets.get(cycle.start)
        if plan_bucket is None:
            end = cycle.end if plan.expires is None else min(cycle.end, plan.expires)
            plan_bucket = DrawBucket("plan", plan.quota_bytes, cycle.start, end, 0)
            plan_buckets[cycle.start] = plan_bucket
            result.buckets.append(plan_bucket)
        amount = daily_usage.get(day, 0)
        if amount:
            live = sorted(
                (b for b in result.buckets if b.start <= day <= b.end), key=DrawBucket.key
            )
            if amount > 0:
                for bucket in live:
                    take = min(bucket.left, amount)
                    bucket.used += take
                    amount -= take
                    if amount == 0:
                        break
                if amount:
                    result.overage_by_cycle[cycle.start] = (
                        result.overage_by_cycle.get(cycle.start, 0) + amount
                    )
            else:
                back = -amount
                over = result.overage_by_cycle.get(cycle.start, 0)
                give = min(over, back)
                if give:
                    result.overage_by_cycle[cycle.start] = over - give
                    back -= give
                for bucket in reversed(live):
                    give = min(bucket.used, back)
                    bucket.used -= give
                    back -= give
                    if back == 0:
                        break
                result.unclaimed += back
        day += _DAY
    return result


def _draw_start(plan: Plan, cycle: Cycle, today: date) -> date:
    """How far back the draw must start for today's buckets to be right.

    An add-on that began before this cycle carries usage from then, and that usage was
    shared with the plan buckets and add-ons live at the time; so go back until no
    add-on live in the range began before it.
    """
    start = cycle.start
    changed = True
    while changed:
        changed = False
        for addon in plan.addons:
            if addon.start < start <= addon.until and addon.start <= today:
                start = min(addon.start, cycle_for_day(plan, addon.start).start)
                changed = True
    return start


def quota_state(plan: Plan, daily_usage: Mapping[date, int], now: datetime) -> QuotaState:
    """The plan's cycle, buckets, remaining quota and expiry at ``now``.

    ``daily_usage`` maps local dates (plan timezone) to bytes used that day; days after
    today are ignored, so ``now`` may be set in the past to ask "what was it then".
    """
    tz = plan.tzinfo
    today = local_date(now, tz)
    cycle = cycle_for_day(plan, today)
    first = _draw_start(plan, cycle, today)
    drawn = draw(plan, daily_usage, first, today)

    shown = [
        b
        for b in drawn.buckets
        if (b.kind == "plan" and b.start == cycle.start)
        or (b.kind == "addon" and b.start <= today and b.end >= cycle.start)
    ]
    shown.sort(key=lambda b: (b.kind != "plan", b.start, b.order))
    buckets = tuple(b.frozen(today) for b in shown)

    live_addons = sum(
        b.quota_bytes for b in buckets if b.kind == "addon" and b.start <= today <= b.end
    )
    remaining = sum(b.left_bytes for b in buckets)
    used = sum(
        amount for day, amount in daily_usage.items() if cycle.start <= day <= min(today, cycle.end)
    )
    days_to_expiry = None if plan.expires is None else (plan.expires - today).days
    renews = plan.period == "monthly" and (plan.expires is None or plan.expires > cycle.end)
    return QuotaState(
        cycle=cycle,
        quota_bytes=plan.quota_bytes + live_addons,
        used_bytes=max(used, 0),
        remaining_bytes=max(remaining, 0),
        buckets=buckets,
        expires=plan.expires,
        days_to_expiry=days_to_expiry,
        exhausted=remaining <= 0,
        overage_bytes=drawn.overage_by_cycle.get(cycle.start, 0),
        renews_at=cycle.end_at if renews else None,
    )


# -- forecast ----------------------------------------------------------------------------


def usage_rate(
    daily_usage: Mapping[date, int], now: datetime, history_start: datetime | None, tz: ZoneInfo
) -> float | None:
    """Bytes per second over the last 7 whole local days plus today so far, or since
    ``history_start`` if that is later. None with less than a day of history."""
    # Arithmetic in UTC: Python subtracts two datetimes sharing a tzinfo as wall-clock
    # times, which is an hour off across a DST change.
    today = local_date(now, tz)
    window_start = local_midnight(today - timedelta(days=FORECAST_WINDOW_DAYS), tz)
    window_start = window_start.astimezone(timezone.utc)
    if history_start is not None:
        _require_aware(history_start)
        window_start = max(window_start, history_start.astimezone(timezone.utc))
    elapsed = (now.astimezone(timezone.utc) - window_start).total_seconds()
    if elapsed < 86400:
        return None
    first_day = local_date(window_start, tz)
    used = sum(
        amount for day, amount in daily_usage.items() if first_day <= day <= today and amount > 0
    )
    return used / elapsed


def forecast_exhausted(
    state: QuotaState,
    daily_usage: Mapping[date, int],
    now: datetime,
    history_start: datetime | None,
) -> date | None:
    """The local date the data runs out at the recent rate, or None.

    The estimate: the recent rate is the bytes used over the last 7 days (the 7 whole local
    days before today plus today so far, or only since ``history_start`` when the history is
    shorter) divided by the time that window covers; negative calibrations are ignored.
    Going forward at that rate, usage drains the live buckets in the order they expire, and
    a bucket that expires before it is used up loses its leftover. The answer is the local
    date the last bucket is drained. It is None when there is less than one day of history,
    when the rate is 0, or when the remaining quota lasts past the end of the cycle (for a
    monthly plan, when a fresh quota arrives) and past every live add-on. When the quota
    is already exhausted the answer is today. ``history_start`` None means the history
    covers the whole window.
    """
    from zoneinfo import ZoneInfo

    tz = state.cycle.start_at.tzinfo
    assert isinstance(tz, ZoneInfo)
    if state.exhausted:
        return local_date(now, tz)
    rate = usage_rate(daily_usage, now, history_start, tz)
    if rate is None or rate <= 0:
        return None
    horizon = None if state.renews_at is None else state.renews_at.astimezone(timezone.utc)
    cursor = now.astimezone(timezone.utc)
    live = sorted(
        (b for b in state.buckets if b.left_bytes > 0),
        key=lambda b: (b.end, b.kind != "plan", b.start),
    )
    for bucket in live:
        end_at = local_midnight(bucket.end + _DAY, tz).astimezone(timezone.utc)
        if end_at <= cursor:
            continue
        runs_out = cursor + timedelta(seconds=bucket.left_bytes / rate)
        if bucket is live[-1] and runs_out < end_at:
            if horizon is not None and runs_out >= horizon:
                return None
            return local_date(runs_out, tz)
        # Either drained before it dies (the next bucket takes over) or it dies first.
        cursor = min(runs_out, end_at)
    return None
