"""Huawei (and MeiG SLM770A) parsers: real response strings, source per row (vendors.md keys)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers import huawei, meig
from drivers.parsers.huawei import (
    DsFlowReport,
    parse_dsflowqry,
    parse_dsflowrpt,
    parse_hcsq,
    parse_rssi_urc,
    parse_sysinfoex,
)
from drivers.parsers.radio import CounterReading, RadioInfo
from drivers.types import Rat

# --- ^HCSQ -------------------------------------------------------------------------------

HCSQ_ROWS = [
    (
        '^HCSQ:"LTE",30,19,66,0\r\n',
        RadioInfo(rat=Rat.LTE, rssi_dbm=-91, rsrp_dbm=-122, sinr_db=-7.0, rsrq_db=-20.0),
        "MM-tests huawei-hcsq-1",
    ),
    ('^HCSQ: "WCDMA",30,30,58\r\n', RadioInfo(rat=Rat.UMTS, rssi_dbm=-91), "MM-tests hcsq-2"),
    ('^HCSQ: "GSM",36,255\r\n', RadioInfo(rat=Rat.GSM, rssi_dbm=-85), "MM-tests huawei-hcsq-3"),
    (
        "^HCSQ: LTE,33,40,135,11\r\n",
        RadioInfo(rat=Rat.LTE, rssi_dbm=-88, rsrp_dbm=-101, sinr_db=6.8, rsrq_db=-14.5),
        "MM-tests huawei-hcsq-4",
    ),
    ('^HCSQ: "NOSERVICE"\r\n', RadioInfo(registered=False), "MM-tests huawei-hcsq-5"),
    ("^HCSQ: NOSERVICE\r\n", RadioInfo(registered=False), "MM-tests huawei-hcsq-6"),
    (
        '^HCSQ: "LTE",255,255,255,255',
        RadioInfo(rat=Rat.LTE),
        "constructed: 255 = unknown for every level",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), HCSQ_ROWS)
def test_hcsq(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_hcsq(text + "\r\nOK\r\n") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        '^HCSQ: "LTE",33,40',  # constructed: truncated
        '^HCSQ: "LTE",33,4O,135,11',  # constructed: letter O for zero
        '^HCSQ: "CDMA",40',  # constructed: unsupported mode
    ],
)
def test_hcsq_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_hcsq(text)


# --- ^SYSINFOEX --------------------------------------------------------------------------

SYSINFOEX_ROWS = [
    ("^SYSINFOEX:2,4,5,1,,3,WCDMA,41,HSPA+", Rat.UMTS, True, "MM-tests huawei-sysinfoex-1"),
    ('^SYSINFOEX:2,4,5,1,,3,"WCDMA",41,"HSPA+"', Rat.UMTS, True, "MM-tests huawei-sysinfoex-2"),
    ('^SYSINFOEX: 2,4,5,1,0,3,"WCDMA",41,"HSPA+"', Rat.UMTS, True, "MM-tests sysinfoex-3"),
    ('^SYSINFOEX:2,3,0,1,,6,"LTE",101,"LTE"', Rat.LTE, True, "constructed: LTE on ME909s"),
    ("^SYSINFOEX:2,3,0,1,,6,,101,", Rat.LTE, True, "constructed: empty names → numeric sysmode"),
    ('^SYSINFOEX:0,0,0,1,,0,"NO SERVICE",0,""', None, False, "constructed: no service"),
    ('^SYSINFOEX:1,2,0,1,,1,"GSM",3,"EDGE"', Rat.GSM, False, "constructed: restricted service"),
]


@pytest.mark.parametrize(("text", "rat", "registered", "source"), SYSINFOEX_ROWS)
def test_sysinfoex(text: str, rat: Rat | None, registered: bool, source: str) -> None:
    assert parse_sysinfoex(text) == RadioInfo(rat=rat, registered=registered)


def test_sysinfoex_malformed() -> None:
    for text in ("", "^SYSINFOEX:2,4,5", "^SYSINFOEX:x,4,5,1,,3", "^SYSINFO:2,4,5,3,1,,6"):
        with pytest.raises(ParseError):  # constructed; the last is the legacy ^SYSINFO
            parse_sysinfoex(text)


# --- ^DSFLOWQRY (Huawei and MeiG SLM770A) ------------------------------------------------

SAMPLE = (
    "^DSFLOWQRY:00000E8E,0000000000333ACC,000000000A93E9AD,007B3514,"
    "000000007C0E5F69,00000007AD1AE9C6"
)
DSFLOWQRY_ROWS = [
    # (text, tx, rx, source)
    (SAMPLE, 2081316713, 32968993222, "vendors.md §2 Huawei sample [O Huawei tool comment]"),
    (
        "^DSFLOWQRY: 100,0,0,592,645c,3c0f",
        0x645C,
        0x3C0F,
        "vendors.md §2 short unpadded hex [O QModem tests]",
    ),
    (
        "^DSFLOWQRY:\r\n" + SAMPLE.split(":", 1)[1],
        2081316713,
        32968993222,
        "constructed: values on the next line (vendors.md §2 variant) with the sample",
    ),
    (
        "%DSFLOWQRY:00000E8E,0000000000333ACC,000000000A93E9AD,007B3514,"
        "000000007C0E5F69,00000007AD1AE9C6",
        2081316713,
        32968993222,
        "constructed: HW-EM770W §9.3 % prefix with the sample values",
    ),
    (
        "AT^DSFLOWQRY\r\r\n^RSSI: 18\r\n" + SAMPLE + "\r\n\r\nOK\r\n",
        2081316713,
        32968993222,
        "constructed: echo and an interleaved ^RSSI URC around the sample",
    ),
]


@pytest.mark.parametrize("parse", [huawei.parse_dsflowqry, meig.parse_dsflowqry])
@pytest.mark.parametrize(("text", "tx", "rx", "source"), DSFLOWQRY_ROWS)
def test_dsflowqry(
    parse: Callable[[str], CounterReading], text: str, tx: int, rx: int, source: str
) -> None:
    assert parse(text) == CounterReading(rx_bytes=rx, tx_bytes=tx, detail="DSFLOWQRY total")


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        "^DSFLOWQRY:",  # constructed: bare prefix, nothing after
        "^DSFLOWQRY:00000E8E,0000000000333ACC,000000000A93E9AD",  # constructed: truncated
        "^DSFLOWQRY:00000E8E,0000000000333ACC,000000000A93E9AD,007B3514,"
        "000000007C0E5F69,00000007AD1AE9CG",  # constructed: non-hex digit G
        "^DSFLOWQRY:00000E8E,,000000000A93E9AD,007B3514,000000007C0E5F69,00000007AD1AE9C6",
        "+CME ERROR: 3",  # constructed: refused
    ],
)
def test_dsflowqry_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_dsflowqry(text)


@settings(max_examples=60)
@given(
    st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2),
    st.lists(st.integers(0, 2**64 - 1), min_size=4, max_size=4),
    st.booleans(),
)
def test_dsflowqry_roundtrip(times: list[int], flows: list[int], padded: bool) -> None:
    t = [f"{v:08X}" if padded else f"{v:x}" for v in times]
    f = [f"{v:016X}" if padded else f"{v:x}" for v in flows]
    text = f"^DSFLOWQRY:{t[0]},{f[0]},{f[1]},{t[1]},{f[2]},{f[3]}\r\n\r\nOK"
    reading = parse_dsflowqry(text)
    assert (reading.tx_bytes, reading.rx_bytes) == (flows[2], flows[3])


def test_meig_reuses_huawei() -> None:
    assert meig.parse_dsflowqry is huawei.parse_dsflowqry


# --- ^DSFLOWRPT / ^RSSI ------------------------------------------------------------------


def test_dsflowrpt() -> None:
    text = (  # vendors.md §2 Huawei URC sample [O]
        "^DSFLOWRPT:0000240E,00000000,00000000,00000000000AD023,00000000002FA192,0003E800,0003E800"
    )
    report = parse_dsflowrpt(text)
    assert report == DsFlowReport(
        seconds=0x240E,
        tx_rate_bps=0,
        rx_rate_bps=0,
        tx_bytes=0xAD023,
        rx_bytes=0x2FA192,
        qos_tx_rate_bps=256000,
        qos_rx_rate_bps=256000,
    )
    assert report.reading() == CounterReading(
        rx_bytes=3121554, tx_bytes=708643, detail="DSFLOWRPT session"
    )
    for bad in ("", "^DSFLOWRPT:0000240E,00000000", "^DSFLOWRPT:zz,0,0,0,0"):  # constructed
        with pytest.raises(ParseError):
            parse_dsflowrpt(bad)


@pytest.mark.parametrize(
    ("text", "dbm"),
    # constructed: format from vendors.md §1.10 (MM huawei rssi_regex), CSQ scale
    [("^RSSI: 18", -77), ("^RSSI:0", -113), ("^RSSI: 31", -51), ("^RSSI: 99", None)],
)
def test_rssi_urc(text: str, dbm: int | None) -> None:
    assert parse_rssi_urc(text) == dbm


def test_rssi_urc_malformed() -> None:
    for bad in ("", "^RSSI: 45", "^RSSI: -1", "^RSSI: x", "^RSSI: 1,2"):  # constructed
        with pytest.raises(ParseError):
            parse_rssi_urc(bad)
