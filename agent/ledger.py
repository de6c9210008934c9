"""Pure accounting of data-counter readings into a per-SIM, per-day usage ledger.

A reading and the previous state go in, the new state and what was counted come out;
nothing here touches the clock, the disk or the modem.

Rules, in the order they are applied to a reading:

1. No baseline (the first reading ever of a SIM, or the first after it came back into the
   modem, see :func:`detach`) → the reading becomes the baseline, nothing is counted.
2. The counter source changed (modem ↔ interface) → re-baseline on the new source and count
   nothing for this reading: the two sources count different things from different zeros,
   so any delta between them would count some bytes twice or invent them.
3. ``reset_hint`` (the modem reported a reboot, e.g. the ``RDY`` URC, or the interface's
   ifindex changed) → reset.
4. The boot id changed and the source is the network interface → reset: a new kernel starts
   every netdev at 0. Modem counters are not forced: Huawei totals and Telit ``#GDATAVOL=2``
   live in the modem's NVM and survive a host reboot (vendors.md §2), so they are judged by
   their values like any other reading.
5. Otherwise each direction on its own: a counter that went up counts the difference; one
   that went down is a 32-bit wrap only if the counter is 32 bits wide, the previous value
   was in the upper half of the range and the implied delta ``new + 2**32 - old`` is
   physically possible within the elapsed time at ``max_rate_bps``; anything else that went
   down is a reset. Elapsed time comes only from the monotonic clock of one boot, so a reset
   can never pass for a wrap just because the wall clock jumped or hours of readings are
   missing with no monotonic time to show for it.

What a reset counts depends on where the counter restarts from:

* Interface counters restart from 0 (a new netdev starts at 0), so all the new value shows is
  traffic since the reset and it is counted; this is the usual choice of traffic meters.
* Modem counters need not restart from 0. A Quectel module loads its counters from NVM at
  power-up: whatever ``AT+QGDCNT=1`` or the ``AT+QAUGDCNT`` auto-save last stored, so after a
  reboot the counter rolls back to an older saved value, possibly hundreds of MB, not to 0
  (vendors.md §2, QAT 10 §10.15-10.16). Huawei ``^DSFLOWQRY`` and Telit ``#GDATAVOL=2`` totals
  go back only on an explicit clear, to 0, but the ledger cannot tell one from the other by
  the value. So a modem reset re-baselines and counts 0: counting the new value would book the
  saved value as phantom usage. The price is the traffic between the reset and this first
  reading after it, which goes uncounted: at most one poll interval's worth while the agent
  runs. That is the safe side: the error is small, bounded by the poll interval and visible
  as a shortfall against the carrier's figure (``usage --set-used`` corrects it), whereas
  counting the new value errs by the saved value, unbounded and unknown, and can eat a
  prepaid plan's remaining quota in one reading.

Counters reset together, so when one direction shows a reset both directions are treated as
reset. Traffic between the last reading before a reset and the reset itself is gone from the
counters and is not counted.

Deltas follow reading order, never the wall clock, so an NTP step backwards or forwards moves
nothing but the day a delta is booked to: the local date of the reading's wall time in the
plan's timezone. Usage observed across a cycle boundary thus goes to the cycle in which it was
observed.

The modem's counters are per modem, not per SIM: when the active ICCID changes, the SIM that
left is :func:`detach`-ed and the SIM that came (back) in re-baselines on its first reading.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Literal

from drivers.records import field, record, replace

Source = Literal["modem", "interface"]
DeltaKind = Literal["baseline", "normal", "reset", "wrap", "source_switch", "reboot"]

# LTE Cat 4 peak downlink, 150 Mbit/s: faster than any POS terminal link, so a genuine wrap is
# never rejected, yet a 4 GiB phantom needs about four minutes of elapsed time to look plausible.
DEFAULT_MAX_RATE: float = 150e6

_WRAP = 2**32
_UPPER_HALF = 2**31


@record
class Reading:
    """One sample of a SIM's data counters."""

    iccid: str
    source: Source
    rx_bytes: int
    tx_bytes: int
    wall_time: datetime  # aware
    monotonic: float | None = None
    boot_id: str | None = None
    counter_bits: int | None = None  # 32: may wrap at 2**32; None: unbounded (64-bit)
    reset_hint: bool = False

    def __post_init__(self) -> None:
        if self.wall_time.tzinfo is None or self.wall_time.utcoffset() is None:
            raise ValueError("Reading.wall_time must be timezone-aware")
        if self.rx_bytes < 0 or self.tx_bytes < 0:
            raise ValueError("counters cannot be negative")
        if (
            self.counter_bits is not None
            and max(self.rx_bytes, self.tx_bytes) >= 2**self.counter_bits
        ):
            raise ValueError(f"counter exceeds {self.counter_bits} bits")


@record
class Baseline:
    """The counters as last read: the next reading's delta is taken from here."""

    source: Source
    rx_bytes: int
    tx_bytes: int
    wall_time: datetime
    monotonic: float | None
    boot_id: str | None
    seq: int  # the number of the reading in this SIM's ledger (1 = first ever)


@record
class DayUsage:
    rx: int = 0
    tx: int = 0
    adjust: int = 0  # signed correction from `usage --set-used`

    @property
    def total(self) -> int:
        return self.rx + self.tx + self.adjust


def _frozen(days: Mapping[date, DayUsage]) -> Mapping[date, DayUsage]:
    return types.MappingProxyType(dict(days))


@record
class SimLedger:
    iccid: str
    baseline: Baseline | None
    daily: Mapping[date, DayUsage] = field(default_factory=lambda: _frozen({}))
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    readings: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.daily, types.MappingProxyType):
            object.__setattr__(self, "daily", _frozen(self.daily))

    def total(self) -> int:
        return sum(d.total for d in self.daily.values())


@record
class Delta:
    rx: int
    tx: int
    kind: DeltaKind
    day: date


def _elapsed(old: Baseline, new: Reading) -> float | None:
    """Seconds between two readings, if the monotonic clock of one boot can tell."""
    if old.boot_id is None or old.boot_id != new.boot_id:
        return None
    if old.monotonic is None or new.monotonic is None or new.monotonic < old.monotonic:
        return None
    return new.monotonic - old.monotonic


def _direction(old: int, new: int, bits: int | None, elapsed: float | None, rate: float):
    """(counted bytes, verdict) for one direction, with verdict "up", "wrap" or "reset"."""
    if new >= old:
        return new - old, "up"
    if bits == 32 and old >= _UPPER_HALF and elapsed is not None:
        implied = new + _WRAP - old
        if implied * 8 <= rate * elapsed:
            return implied, "wrap"
    return new, "reset"


def _after_reset(reading: Reading, kind: DeltaKind) -> tuple[int, int, DeltaKind]:
    """What a reset counts: the new value for an interface, nothing for the modem.

    A modem's counter may have rolled back to a value saved in NVM (Quectel ``AT+QGDCNT=1`` /
    ``AT+QAUGDCNT``, vendors.md §2) rather than to 0, so its new value is not usage since the
    reset; see the module docstring.
    """
    if reading.source == "interface":
        return reading.rx_bytes, reading.tx_bytes, kind
    return 0, 0, kind


def _counted(
    previous: Baseline, reading: Reading, max_rate_bps: float
) -> tuple[int, int, DeltaKind]:
    if previous.source != reading.source:
        return 0, 0, "source_switch"
    if reading.reset_hint:
        return _after_reset(reading, "reset")
    rebooted = (
        previous.boot_id is not None
        and reading.boot_id is not None
        and previous.boot_id != reading.boot_id
    )
    if rebooted and reading.source == "interface":
        return _after_reset(reading, "reboot")
    elapsed = _elapsed(previous, reading)
    bits = reading.counter_bits
    rx, rx_verdict = _direction(previous.rx_bytes, reading.rx_bytes, bits, elapsed, max_rate_bps)
    tx, tx_verdict = _direction(previous.tx_bytes, reading.tx_bytes, bits, elapsed, max_rate_bps)
    if "reset" in (rx_verdict, tx_verdict):
        return _after_reset(reading, "reboot" if rebooted else "reset")
    if "wrap" in (rx_verdict, tx_verdict):
        return rx, tx, "wrap"
    return rx, tx, "normal"


def apply_reading(
    ledger: SimLedger | None,
    reading: Reading,
    tz: tzinfo,
    max_rate_bps: float = DEFAULT_MAX_RATE,
) -> tuple[SimLedger, Delta]:
    """Account one reading. ``max_rate_bps`` is the fastest the link can go, in bits/s."""
    if ledger is not None and ledger.iccid != reading.iccid:
        raise ValueError(f"reading for {reading.iccid} applied to the ledger of {ledger.iccid}")
    day = reading.wall_time.astimezone(tz).date()
    if ledger is None:
        ledger = SimLedger(iccid=reading.iccid, baseline=None, first_seen=reading.wall_time)
    if ledger.baseline is None:
        rx, tx, kind = 0, 0, "baseline"
    else:
        rx, tx, kind = _counted(ledger.baseline, reading, max_rate_bps)
    seq = ledger.readings + 1
    daily = ledger.daily
    if rx or tx:
        old = daily.get(day, DayUsage())
        daily = _frozen({**daily, day: replace(old, rx=old.rx + rx, tx=old.tx + tx)})
    new = SimLedger(
        iccid=ledger.iccid,
        baseline=Baseline(
            source=reading.source,
            rx_bytes=reading.rx_bytes,
            tx_bytes=reading.tx_bytes,
            wall_time=reading.wall_time,
            monotonic=reading.monotonic,
            boot_id=reading.boot_id,
            seq=seq,
        ),
        daily=daily,
        first_seen=ledger.first_seen or reading.wall_time,
        last_seen=reading.wall_time,
        readings=seq,
    )
    return new, Delta(rx=rx, tx=tx, kind=kind, day=day)


def detach(ledger: SimLedger) -> SimLedger:
    """The SIM left the modem: drop its baseline, keep its usage.

    The modem's counters keep moving with the next SIM's traffic, so the old baseline means
    nothing when this SIM comes back; its first reading then re-baselines.
    """
    return replace(ledger, baseline=None)


def calibrate(ledger: SimLedger, cycle_used_now: int, target_used: int, day: date) -> SimLedger:
    """`usage --set-used`: book a signed adjustment on ``day`` so that the cycle's used bytes
    (``cycle_used_now`` as the plan computes it from :attr:`SimLedger.daily`) become
    ``target_used``; counting goes on from there."""
    if target_used < 0:
        raise ValueError("used bytes cannot be negative")
    change = target_used - cycle_used_now
    if change == 0:
        return ledger
    old = ledger.daily.get(day, DayUsage())
    return replace(ledger, daily={**ledger.daily, day: replace(old, adjust=old.adjust + change)})


def accounting_changed(old: SimLedger | None, new: SimLedger) -> bool:
    """Whether ``new`` differs from ``old`` in anything the next delta or the usage depends on.

    The baseline's wall and monotonic times and the reading count are left out: a poll that
    saw the same counters changes nothing worth a write to flash.
    """
    if old is None:
        return True
    # The daily maps are read-only proxies, which compare as the dicts they wrap.
    return _delta_basis(old.baseline) != _delta_basis(new.baseline) or old.daily != new.daily


def _delta_basis(baseline: Baseline | None) -> tuple[object, ...] | None:
    """What of a baseline the next delta depends on."""
    if baseline is None:
        return None
    return (baseline.source, baseline.rx_bytes, baseline.tx_bytes, baseline.boot_id)
