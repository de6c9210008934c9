"""The ledger's rules, one reading pair at a time.

Counter values in the tables are taken from real modem answers where one exists (the
vendors.md source key names it); the others are chosen to sit on a rule's boundary.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from agent.ledger import (
    DEFAULT_MAX_RATE,
    DayUsage,
    Reading,
    SimLedger,
    accounting_changed,
    apply_reading,
    calibrate,
    detach,
)

CST = timezone(timedelta(hours=8))
ICCID = "89860412345678901234"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=CST)


def reading(
    rx: int,
    tx: int,
    *,
    source: str = "modem",
    at: float = 0.0,
    mono: float | None = None,
    boot: str | None = "boot-a",
    bits: int | None = None,
    hint: bool = False,
    wall: datetime | None = None,
    iccid: str = ICCID,
) -> Reading:
    return Reading(
        iccid=iccid,
        source=source,  # type: ignore[arg-type]
        rx_bytes=rx,
        tx_bytes=tx,
        wall_time=wall or T0 + timedelta(seconds=at),
        monotonic=(1000.0 + at) if mono is None else mono,
        boot_id=boot,
        counter_bits=bits,
        reset_hint=hint,
    )


def pair(first: Reading, second: Reading) -> tuple[SimLedger, object]:
    ledger, delta = apply_reading(None, first, CST)
    assert delta.kind == "baseline" and (delta.rx, delta.tx) == (0, 0)
    return apply_reading(ledger, second, CST)


# (case, first reading, second reading, expected rx, tx, kind)
PAIRS = [
    (
        # QMT AT_QGDCNT_-9c9fe0a0.json: `+QGDCNT: 109169083,82663256` is (sent, received)
        "quectel counters grow",
        reading(82663256, 109169083),
        reading(82663256 + 5000, 109169083 + 700, at=60),
        5000,
        700,
        "normal",
    ),
    (
        # QAT 10 §10.15: AT+QGDCNT=0 (or a power cycle without a saved value) zeroes the counter
        "quectel counter reset to zero",
        reading(82663256, 109169083),
        reading(0, 0, at=60),
        0,
        0,
        "reset",
    ),
    (
        "modem counter back by one byte is a reset, never negative usage",
        reading(82663256, 109169083),
        reading(82663255, 109169083, at=60),
        0,
        0,
        "reset",
    ),
    (
        # QAT 10 §10.15-10.16 (vendors.md §2): at power-up the module loads the value last
        # saved by AT+QGDCNT=1 / AT+QAUGDCNT, so the counter rolls back to it, not to 0
        "quectel rollback to the saved value after a reboot counts nothing",
        reading(150_000_000, 20_000_000),
        reading(100_000_000, 15_000_000, at=60),
        0,
        0,
        "reset",
    ),
    (
        # HW-EM770W §9.2 sample totals (rx 32968993222, tx 2081316713); ^DSFLOWCLR then traffic
        "huawei totals cleared then traffic: the first reading after is the new baseline",
        reading(32968993222, 2081316713),
        reading(1200, 300, at=60),
        0,
        0,
        "reset",
    ),
    (
        # MM-tests ublox-ugcntrd: totals beyond 2**32 on a 64-bit counter never wrap
        "u-blox 64-bit total going down is a reset",
        reading(113728263578, 2724),
        reading(113728263000, 2800, at=60),
        0,
        0,
        "reset",
    ),
    (
        # vendors.md §2.1: a new netdev starts at 0, so all it shows is traffic since the reset
        "interface counter lower is a reset that counts the new value",
        reading(9000, 800, source="interface"),
        reading(1200, 300, source="interface", at=60),
        1200,
        300,
        "reset",
    ),
    (
        "interface reset hint counts the new value although counters went up",
        reading(1000, 100, source="interface"),
        reading(5000, 700, source="interface", hint=True, at=60),
        5000,
        700,
        "reset",
    ),
    (
        # vendors.md §2.1: a 32-bit driver counter wraps at 2**32; 10 kB in 60 s is plausible
        "interface 32-bit wrap counted exactly",
        reading(2**32 - 4000, 500, source="interface", bits=32),
        reading(6000, 900, source="interface", bits=32, at=60),
        10000,
        400,
        "wrap",
    ),
    (
        "wrap implying more than the link can carry is a reset, never +4 GB",
        reading(3_000_000_000, 500, source="interface", bits=32),
        reading(1000, 600, source="interface", bits=32, at=5),
        1000,
        600,
        "reset",
    ),
    (
        "drop from the lower half of a 32-bit range is a reset",
        reading(2**31 - 1, 500, source="interface", bits=32),
        reading(10, 600, source="interface", bits=32, at=60),
        10,
        600,
        "reset",
    ),
    (
        "wrap across a boot is unknown elapsed time, so a reset",
        reading(2**32 - 4000, 500, source="interface", bits=32, boot="a"),
        reading(6000, 900, source="interface", bits=32, boot="b", at=60),
        6000,
        900,
        "reboot",
    ),
    (
        "wrap without monotonic times is a reset",
        reading(2**32 - 4000, 500, source="interface", bits=32, boot=None),
        reading(6000, 900, source="interface", bits=32, boot=None, at=60),
        6000,
        900,
        "reset",
    ),
    (
        "unbounded counter never wraps",
        reading(2**32 - 4000, 500, source="interface", bits=None),
        reading(6000, 900, source="interface", bits=None, at=60),
        6000,
        900,
        "reset",
    ),
    (
        "one direction reset resets both: counters restart together",
        reading(50_000, 100, source="interface"),
        reading(20_000, 400, source="interface", at=60),
        20_000,
        400,
        "reset",
    ),
    (
        "one modem direction reset re-baselines both",
        reading(50_000, 100),
        reading(20_000, 400, at=60),
        0,
        0,
        "reset",
    ),
    (
        # QAT 15.6 #24 / MM quectel rdy_regex: `RDY` means the module rebooted; the saved
        # value it loaded may be above the last reading, so going up proves nothing
        "RDY hint: modem reset although counters went up, counts nothing",
        reading(1000, 100),
        reading(5000, 700, hint=True, at=60),
        0,
        0,
        "reset",
    ),
    (
        "interface after a host reboot starts at zero",
        reading(9000, 800, source="interface", boot="a"),
        reading(12000, 900, source="interface", boot="b", mono=3.0, at=60),
        12000,
        900,
        "reboot",
    ),
    (
        # TEL-MT p.261: Telit totals are kept in NVM across power cycles
        "modem NVM totals keep counting across a host reboot",
        reading(9000, 800, boot="a"),
        reading(12000, 900, boot="b", mono=3.0, at=60),
        3000,
        100,
        "normal",
    ),
    (
        "modem counter lower after a host reboot is a reset",
        reading(9000, 800, boot="a"),
        reading(200, 50, boot="b", mono=3.0, at=60),
        0,
        0,
        "reboot",
    ),
    (
        "source switch re-baselines and counts nothing",
        reading(82663256, 109169083),
        reading(500, 100, source="interface", bits=32, at=60),
        0,
        0,
        "source_switch",
    ),
    (
        "wall clock stepped back an hour: still counted by reading order",
        reading(1000, 100),
        reading(1500, 150, at=-3600, mono=1060.0),
        500,
        50,
        "normal",
    ),
    (
        "hours without a reading: counted when one comes",
        reading(1000, 100),
        reading(90_000_000, 2_000_000, at=6 * 3600),
        90_000_000 - 1000,
        2_000_000 - 100,
        "normal",
    ),
]


@pytest.mark.parametrize(
    ("first", "second", "rx", "tx", "kind"),
    [case[1:] for case in PAIRS],
    ids=[case[0] for case in PAIRS],
)
def test_pair(first: Reading, second: Reading, rx: int, tx: int, kind: str) -> None:
    ledger, delta = pair(first, second)
    assert (delta.rx, delta.tx, delta.kind) == (rx, tx, kind)
    assert ledger.total() == rx + tx
    assert ledger.baseline is not None
    assert (ledger.baseline.rx_bytes, ledger.baseline.tx_bytes) == (
        second.rx_bytes,
        second.tx_bytes,
    )
    assert ledger.baseline.source == second.source
    assert ledger.readings == 2 and ledger.baseline.seq == 2


def test_quectel_rollback_rebaselines_and_counting_goes_on() -> None:
    # QAT 10 §10.15-10.16: a reboot loads the saved 100 MB although 150 MB had been read.
    ledger, _ = apply_reading(None, reading(149_000_000, 9_000_000), CST)
    ledger, delta = apply_reading(ledger, reading(150_000_000, 9_100_000, at=60), CST)
    assert (delta.rx, delta.tx) == (1_000_000, 100_000)
    ledger, delta = apply_reading(
        ledger, reading(100_000_000, 8_000_000, boot="b", mono=5.0, at=120), CST
    )
    assert (delta.rx, delta.tx, delta.kind) == (0, 0, "reboot")
    assert ledger.baseline is not None
    assert (ledger.baseline.rx_bytes, ledger.baseline.tx_bytes) == (100_000_000, 8_000_000)
    ledger, delta = apply_reading(
        ledger, reading(100_500_000, 8_020_000, boot="b", mono=65.0, at=180), CST
    )
    assert (delta.rx, delta.tx, delta.kind) == (500_000, 20_000, "normal")
    assert ledger.total() == 1_100_000 + 520_000  # no phantom 100 MB


def test_huawei_clear_then_traffic_counts_from_the_first_reading_after() -> None:
    # HW-EM770W §9.2: ^DSFLOWCLR sets the totals to 0; traffic follows before the next poll.
    ledger, _ = apply_reading(None, reading(32968993222, 2081316713), CST)
    ledger, delta = apply_reading(ledger, reading(4000, 1000, at=60), CST)
    assert (delta.rx, delta.tx, delta.kind) == (0, 0, "reset")
    ledger, delta = apply_reading(ledger, reading(9000, 1500, at=120), CST)
    assert (delta.rx, delta.tx, delta.kind) == (5000, 500, "normal")
    assert ledger.total() == 5500


def test_interface_reboot_counts_the_new_value_modem_does_not() -> None:
    # The same counters across a host reboot (new boot id): a netdev starts at 0, a modem
    # counter that went down may have rolled back to a saved value.
    for source, counted in (("interface", (12_000, 900)), ("modem", (0, 0))):
        _, delta = pair(
            reading(90_000, 8_000, source=source, boot="a"),
            reading(12_000, 900, source=source, boot="b", mono=3.0, at=60),
        )
        assert ((delta.rx, delta.tx), delta.kind) == (counted, "reboot"), source


def test_wrap_plausibility_boundary() -> None:
    # 2**32 - 1000 → 1000 implies 2000 bytes = 16000 bits: exactly the limit at 16000 bit/s.
    first = reading(2**32 - 1000, 0, source="interface", bits=32)
    ledger, _ = apply_reading(None, first, CST)
    at_limit = reading(1000, 0, source="interface", bits=32, at=1.0)
    _, delta = apply_reading(ledger, at_limit, CST, max_rate_bps=16000)
    assert (delta.rx, delta.kind) == (2000, "wrap")
    _, delta = apply_reading(ledger, at_limit, CST, max_rate_bps=15999)
    assert (delta.rx, delta.kind) == (1000, "reset")


def test_monotonic_going_backwards_in_one_boot_is_unknown_elapsed() -> None:
    first = reading(2**32 - 1000, 0, source="interface", bits=32, mono=500.0)
    ledger, _ = apply_reading(None, first, CST)
    _, delta = apply_reading(ledger, reading(1000, 0, source="interface", bits=32, mono=400.0), CST)
    assert delta.kind == "reset" and delta.rx == 1000


def test_delta_goes_to_the_local_day_it_was_observed() -> None:
    # 23:59:30 and 00:00:30 local (UTC+8): the second delta belongs to the new day, which is
    # also how usage across a billing-cycle boundary lands in the cycle that observed it.
    before = datetime(2026, 11, 30, 23, 59, 30, tzinfo=CST)
    ledger, _ = apply_reading(None, reading(0, 0, wall=before), CST)
    ledger, d1 = apply_reading(ledger, reading(100, 10, wall=before, mono=1010.0), CST)
    ledger, d2 = apply_reading(
        ledger, reading(300, 30, wall=before + timedelta(minutes=1), mono=1070.0), CST
    )
    assert (d1.day, d2.day) == (date(2026, 11, 30), date(2026, 12, 1))
    assert ledger.daily == {
        date(2026, 11, 30): DayUsage(100, 10),
        date(2026, 12, 1): DayUsage(200, 20),
    }


def test_day_follows_the_plans_timezone() -> None:
    utc_evening = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)  # 01:00 on Dec 1 at +8
    ledger, _ = apply_reading(None, reading(0, 0, wall=utc_evening), CST)
    _, delta = apply_reading(ledger, reading(5, 5, wall=utc_evening, mono=1001.0), CST)
    assert delta.day == date(2026, 12, 1)
    ledger, _ = apply_reading(None, reading(0, 0, wall=utc_evening), timezone.utc)
    _, delta = apply_reading(ledger, reading(5, 5, wall=utc_evening, mono=1001.0), timezone.utc)
    assert delta.day == date(2026, 11, 30)


def test_clock_jump_books_to_the_jumped_day_without_losing_bytes() -> None:
    ledger, _ = apply_reading(None, reading(0, 0), CST)
    ledger, _ = apply_reading(ledger, reading(100, 0, at=-3 * 86400, mono=1060.0), CST)
    ledger, _ = apply_reading(ledger, reading(250, 0, at=5 * 86400, mono=1120.0), CST)
    assert ledger.daily == {
        (T0 - timedelta(days=3)).date(): DayUsage(100, 0),
        (T0 + timedelta(days=5)).date(): DayUsage(150, 0),
    }
    assert ledger.last_seen == T0 + timedelta(days=5)
    assert ledger.first_seen == T0


def test_detach_then_return_rebaselines_and_keeps_usage() -> None:
    ledger, _ = apply_reading(None, reading(0, 0), CST)
    ledger, _ = apply_reading(ledger, reading(700, 70, at=60), CST)
    away = detach(ledger)
    assert away.baseline is None and away.total() == 770
    # Meanwhile another SIM moved the modem's counters to 90000.
    back, delta = apply_reading(away, reading(90_000, 9_000, at=600), CST)
    assert (delta.kind, delta.rx, delta.tx) == ("baseline", 0, 0)
    assert back.total() == 770 and back.readings == 3
    back, delta = apply_reading(back, reading(90_100, 9_010, at=660), CST)
    assert (delta.rx, delta.tx) == (100, 10) and back.total() == 880


def test_other_sims_reading_is_refused() -> None:
    ledger, _ = apply_reading(None, reading(0, 0), CST)
    with pytest.raises(ValueError, match="ledger of"):
        apply_reading(ledger, reading(1, 1, iccid="89860400000000000000"), CST)


def test_calibrate_sets_the_cycle_used_and_counting_goes_on() -> None:
    ledger, _ = apply_reading(None, reading(0, 0), CST)
    ledger, _ = apply_reading(ledger, reading(6_000_000, 1_000_000, at=60), CST)
    day = T0.date()
    lowered = calibrate(ledger, cycle_used_now=7_000_000, target_used=5_000_000, day=day)
    assert lowered.daily[day] == DayUsage(6_000_000, 1_000_000, -2_000_000)
    assert lowered.total() == 5_000_000
    raised = calibrate(lowered, cycle_used_now=5_000_000, target_used=9_000_000, day=day)
    assert raised.daily[day].adjust == 2_000_000 and raised.total() == 9_000_000
    more, _ = apply_reading(raised, reading(6_000_500, 1_000_000, at=120), CST)
    assert more.total() == 9_000_500
    assert calibrate(ledger, 7_000_000, 7_000_000, day) is ledger
    with pytest.raises(ValueError):
        calibrate(ledger, 7_000_000, -1, day)


def test_reading_validation() -> None:
    with pytest.raises(ValueError, match="aware"):
        Reading(ICCID, "modem", 0, 0, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        reading(-1, 0)
    with pytest.raises(ValueError, match="32 bits"):
        reading(2**32, 0, source="interface", bits=32)


def test_accounting_changed_ignores_time_only_changes() -> None:
    ledger, _ = apply_reading(None, reading(1000, 100), CST)
    same, _ = apply_reading(ledger, reading(1000, 100, at=60), CST)
    assert not accounting_changed(ledger, same)
    moved, _ = apply_reading(same, reading(1001, 100, at=120), CST)
    assert accounting_changed(same, moved)
    assert accounting_changed(None, ledger)
    assert accounting_changed(ledger, detach(ledger))
    rebooted, _ = apply_reading(ledger, reading(1000, 100, boot="other", at=60), CST)
    assert accounting_changed(ledger, rebooted)


def test_default_rate_rejects_a_phantom_wrap_within_a_poll() -> None:
    # A reset from just above 2**31 to 0 within one 60 s poll would imply ~2 GiB: far more than
    # the default rate allows, so it must stay a reset.
    assert DEFAULT_MAX_RATE * 60 < (2**31) * 8
    _, delta = pair(
        reading(2**31 + 1, 0, source="interface", bits=32),
        reading(0, 0, source="interface", bits=32, at=60),
    )
    assert (delta.kind, delta.rx) == ("reset", 0)
