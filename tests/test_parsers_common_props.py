"""Property tests for drivers.parsers.common: round trips, shape independence, robustness."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers import common
from drivers.parsers.common import (
    bars,
    normalize_iccid,
    parse_cops,
    parse_creg,
    parse_crsm_iccid,
    parse_iccid,
)

pytestmark = pytest.mark.timeout(30)
SETTINGS = settings(max_examples=150, deadline=None)

DIGITS = "0123456789"
HEX = DIGITS + "ABCDEF"


@st.composite
def iccids(draw: st.DrawFn) -> str:
    """A valid ICCID: "89", four digits, then 13 or 14 digits or hex letters (the CMCC
    form), never ending in the pad F."""
    issuer = draw(st.text(DIGITS, min_size=4, max_size=4))
    account = draw(st.text(HEX, min_size=13, max_size=14))
    last = draw(st.sampled_from(HEX[:-1]))
    return "89" + issuer + account[:-1] + last


def swap(value: str) -> str:
    padded = value.ljust(20, "F")
    return "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))


@SETTINGS
@given(iccids())
def test_iccid_round_trips_through_nibble_swap(iccid: str) -> None:
    swapped = swap(iccid)
    assert len(swapped) == 20 and swapped.startswith("98")
    assert normalize_iccid(iccid) == iccid
    assert normalize_iccid(swapped) == iccid
    assert normalize_iccid(f' "{swapped.lower()}" ') == iccid
    assert parse_crsm_iccid(f'+CRSM: 144,0,"{swapped}"') == iccid
    assert parse_iccid(f"^ICCID: {swapped}") == iccid


@SETTINGS
@given(st.text(HEX + '89 "', max_size=24))
def test_normalize_iccid_output_is_always_an_iccid(raw: str) -> None:
    result = normalize_iccid(raw)
    if result is not None:
        assert result.startswith("89")
        assert len(result) in (19, 20)
        assert result[:6].isdigit()
        assert set(result) <= set(HEX)


@SETTINGS
@given(
    family=st.sampled_from(["CREG", "CGREG", "CEREG", "C5GREG"]),
    n=st.integers(0, 5),
    stat=st.integers(0, 11),
    lac=st.integers(0, 0xFFFF),
    ci=st.integers(0, 0xFFFFFFF),
    act=st.integers(0, 13),
    quoted=st.booleans(),
)
def test_creg_answer_and_urc_agree(
    family: str, n: int, stat: int, lac: int, ci: int, act: int, quoted: bool
) -> None:
    q = '"' if quoted else ""
    location = f"{q}{lac:04X}{q},{q}{ci:08X}{q},{act}"
    answer = parse_creg(f"+{family}: {n},{stat},{location}")
    urc = parse_creg(f"\r\n+{family}: {stat},{location}\r\n")
    assert (answer.n, urc.n) == (n, None)
    for info in (answer, urc):
        assert (info.family, info.stat, info.area_code, info.cell_id, info.act) == (
            family,
            stat,
            lac,
            ci,
            act,
        )


REG_ALPHABET = st.sampled_from([*list('0123456789ABCDEFabcdefxyz ,"\r\n+:'), "+CREG:", "+CEREG:"])


@SETTINGS
@given(st.one_of(st.text(max_size=60), st.lists(REG_ALPHABET, max_size=30).map("".join)))
def test_parse_creg_raises_only_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_creg(text)


PARSERS: list[Callable[[str], object]] = [
    common.parse_info_line,
    common.parse_ati,
    common.parse_cgsn,
    common.parse_cimi,
    common.parse_iccid,
    common.parse_crsm_iccid,
    common.parse_cpin,
    common.parse_csq,
    common.parse_cesq,
    common.parse_creg,
    parse_cops,
]
PREFIXES = ["+CSQ: ", "+CESQ: ", "+COPS: ", "+CPIN: ", "+CRSM: ", "+CCID: ", "+CGSN: ", ""]


@SETTINGS
@given(st.sampled_from(PARSERS), st.sampled_from(PREFIXES), st.text(max_size=40))
def test_parsers_raise_only_parse_error(
    parser: Callable[[str], object], prefix: str, payload: str
) -> None:
    with contextlib.suppress(ParseError):
        parser(prefix + payload)


@SETTINGS
@given(st.integers(-140, -40), st.integers(-140, -40))
def test_bars_never_drop_as_signal_rises(low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    by_rssi = (bars(low), bars(high))
    by_rsrp = (bars(None, low), bars(None, high))
    for weaker, stronger in (by_rssi, by_rsrp):
        assert weaker is not None and stronger is not None
        assert 0 <= weaker <= stronger <= 4
