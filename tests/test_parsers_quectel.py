"""Quectel parsers: real response strings (source per row, keys from vendors.md)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers.quectel import (
    parse_qaugdcnt,
    parse_qcsq,
    parse_qeng_servingcell,
    parse_qgdcnt,
    parse_qnwinfo,
    parse_qspn,
)
from drivers.parsers.radio import CounterReading, RadioInfo
from drivers.types import Rat

# --- +QGDCNT / +QAUGDCNT ----------------------------------------------------------------

QGDCNT_ROWS = [
    # (text, tx (sent), rx (recv), source)
    ("+QGDCNT: 3832,4618", 3832, 4618, "QAT 10 §10.15"),
    ("+QGDCNT: 109169083,82663256", 109169083, 82663256, "QMT AT_QGDCNT_-9c9fe0a0.json"),
    (
        "AT+QGDCNT?\r\r\n+QGDCNT: 109169083,82663256\r\n\r\nOK\r\n",
        109169083,
        82663256,
        "QMT AT_QGDCNT_-9c9fe0a0.json, with echo and CRLF framing",
    ),
]


@pytest.mark.parametrize(("text", "tx", "rx", "source"), QGDCNT_ROWS)
def test_qgdcnt(text: str, tx: int, rx: int, source: str) -> None:
    assert parse_qgdcnt(text) == CounterReading(rx_bytes=rx, tx_bytes=tx, detail="QGDCNT")


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("", "constructed: empty response"),
        ("OK", "constructed: OK without the information line"),
        ("+CME ERROR: 4", "constructed: command refused"),
        ("+QGDCNT: 3832", "constructed: truncated field list"),
        ("+QGDCNT: 3832,46x8", "constructed: non-digit in a counter"),
        ("+QGDCNT: -1,4618", "constructed: negative counter"),
        ("+QGDCNT: 1,2,3", "constructed: extra field"),
    ],
)
def test_qgdcnt_malformed(text: str, source: str) -> None:
    with pytest.raises(ParseError):
        parse_qgdcnt(text)


@settings(max_examples=60)
@given(st.integers(0, 2**64), st.integers(0, 2**64))
def test_qgdcnt_roundtrip(sent: int, recv: int) -> None:
    reading = parse_qgdcnt(f"+QGDCNT: {sent},{recv}\r\n\r\nOK")
    assert (reading.tx_bytes, reading.rx_bytes) == (sent, recv)


def test_qaugdcnt() -> None:
    assert parse_qaugdcnt("+QAUGDCNT: 35\r\n\r\nOK") == 35  # QAT 10 §10.16
    assert parse_qaugdcnt("+QAUGDCNT: 0") == 0  # constructed: auto-save off (QAT 10 §10.16)
    with pytest.raises(ParseError):
        parse_qaugdcnt("+QAUGDCNT: abc")  # constructed: garbage value
    with pytest.raises(ParseError):
        parse_qaugdcnt("+QGDCNT: 1,2")  # constructed: the wrong command's answer


# --- +QCSQ -------------------------------------------------------------------------------

QCSQ_ROWS = [
    (
        '+QCSQ: "LTE",-69,-102,150,-12',
        RadioInfo(rat=Rat.LTE, rssi_dbm=-69, rsrp_dbm=-102, sinr_db=10.0, rsrq_db=-12),
        "vendors.md §3.1 QCSQ sample [O Quectel manual wording]",
    ),
    ('+QCSQ: "NOSERVICE"', RadioInfo(registered=False), "vendors.md §3.1 sysmode list"),
    ('+QCSQ: "GSM",-75', RadioInfo(rat=Rat.GSM, rssi_dbm=-75), "constructed: GSM layout §3.1"),
    (
        '+QCSQ: "WCDMA",-81,-90,-9',
        RadioInfo(rat=Rat.UMTS, rssi_dbm=-81),
        "constructed: WCDMA layout vendors.md §3.1",
    ),
    (
        '+QCSQ: "eMTC",-70,-98,100,-10',
        RadioInfo(rat=Rat.LTE, rssi_dbm=-70, rsrp_dbm=-98, sinr_db=0.0, rsrq_db=-10),
        "constructed: BG96 eMTC layout vendors.md §3.1",
    ),
    (
        '+QCSQ: "CAT-NB1",-60,-80,250,-3',
        RadioInfo(rat=Rat.LTE, rssi_dbm=-60, rsrp_dbm=-80, sinr_db=30.0, rsrq_db=-3),
        "constructed: BG96 NB-IoT, SINR at the top of the 0..250 range",
    ),
    (
        '+QCSQ: "NR5G-SA",-89,125,-11',
        RadioInfo(rat=Rat.NR5G, rsrp_dbm=-89, sinr_db=5.0, rsrq_db=-11),
        "constructed: RM500 NR5G-SA layout vendors.md §3.1",
    ),
    (
        '+QCSQ: "NR5G-NSA",-65,-95,120,-11,-32768,-32768,-32768',
        RadioInfo(rat=Rat.NR5G, rssi_dbm=-65, rsrp_dbm=-95, sinr_db=4.0, rsrq_db=-11),
        "constructed: RM500 EN-DC with an idle NR leg",
    ),
    (
        '+QCSQ: "LTE",-69,-102,255,-12',
        RadioInfo(rat=Rat.LTE, rssi_dbm=-69, rsrp_dbm=-102, rsrq_db=-12),
        "constructed: SINR level outside 0..250 is unknown",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), QCSQ_ROWS)
def test_qcsq(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_qcsq(text + "\r\n\r\nOK\r\n") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        '+QCSQ: "LTE",-69,-102',  # constructed: truncated LTE values
        '+QCSQ: "LTE",-69,-102,1x0,-12',  # constructed: garbage SINR
        '+QCSQ: "CDMA",-80',  # constructed: unsupported sysmode
        "+CSQ: 18,99",  # constructed: another command's answer (QMT RM500U +CSQ)
    ],
)
def test_qcsq_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_qcsq(text)


# --- +QENG="servingcell" -----------------------------------------------------------------

QENG_ROWS = [
    (
        '+QENG: "servingcell","NOCONN","LTE","TDD",460,00,82E8C80,87,38400,39,5,5,550A,'
        "-93,-13,-59,-4,46",
        RadioInfo(
            rat=Rat.LTE,
            mcc="460",
            mnc="00",
            cell_id=0x82E8C80,
            area_code=0x550A,
            band="B39",
            rsrp_dbm=-93,
            rsrq_db=-13,
            rssi_dbm=-59,
            sinr_db=-4,
            registered=True,
        ),
        "QAT 06 §6.17 example",
    ),
    (
        '+QENG: "servingcell","CONNECT","LTE","FDD",460,01,5F1EA1F,42,1650,3,5,5,DE10,'
        "-87,-16,-69,5,7,12,34",
        RadioInfo(
            rat=Rat.LTE,
            mcc="460",
            mnc="01",
            cell_id=0x5F1EA1F,
            area_code=0xDE10,
            band="B3",
            rsrp_dbm=-87,
            rsrq_db=-16,
            rssi_dbm=-69,
            sinr_db=5,
            registered=True,
        ),
        "constructed: 18+-field EC200T form, tail -87,-16,-69,5 from vendors.md §3.1",
    ),
    (
        '+QENG: "servingcell","CONNECT","NR5G-SA","TDD",460,11,760BF0114,702,76010F,'
        "633984,78,100,-89,-8,15,18,34,1",
        RadioInfo(
            rat=Rat.NR5G,
            mcc="460",
            mnc="11",
            cell_id=0x760BF0114,
            area_code=0x76010F,
            band="n78",
            rsrp_dbm=-89,
            rsrq_db=-8,
            sinr_db=15,
            registered=True,
        ),
        "QMT RM500U capture (vendors.md §3.1)",
    ),
    ('+QENG: "servingcell","SEARCH"', RadioInfo(registered=False), "QAT 06 §6.17 state list"),
    (
        '+QENG: "servingcell","LIMSRV","LTE","FDD",262,02,1A2B3C4,100,6300,20,3,3,8B1E,'
        "-120,-19,-90,-10,2",
        RadioInfo(
            rat=Rat.LTE,
            mcc="262",
            mnc="02",
            cell_id=0x1A2B3C4,
            area_code=0x8B1E,
            band="B20",
            rsrp_dbm=-120,
            rsrq_db=-19,
            rssi_dbm=-90,
            sinr_db=-10,
            registered=False,
        ),
        "constructed: limited service on an LTE cell",
    ),
    (
        '+QENG: "servingcell","NOCONN","WCDMA",460,01,A4D5,8C4A1E2,10713,273,12,-85,-6,-,-,-,-,-',
        RadioInfo(
            rat=Rat.UMTS,
            mcc="460",
            mnc="01",
            area_code=0xA4D5,
            cell_id=0x8C4A1E2,
            registered=True,
        ),
        "constructed: WCDMA field order of QAT 06 §6.17",
    ),
    (
        '+QENG: "servingcell","CONNECT"\r\n'
        '+QENG: "LTE","FDD",460,00,1A2D001,277,1300,3,5,5,2580,-92,-11,-63,12,10,-,40\r\n'
        '+QENG: "NR5G-NSA",460,00,511,-95,15,-11,627264,78,-,-',
        RadioInfo(
            rat=Rat.NR5G,
            mcc="460",
            mnc="00",
            cell_id=0x1A2D001,
            area_code=0x2580,
            band="B3",
            rsrp_dbm=-92,
            rsrq_db=-11,
            rssi_dbm=-63,
            sinr_db=12,
            registered=True,
        ),
        "constructed: RM500 EN-DC three-line form, LTE anchor reported",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), QENG_ROWS)
def test_qeng_servingcell(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_qeng_servingcell(text + "\r\n\r\nOK") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        '+QENG: "servingcell"',  # constructed: no state
        '+QENG: "servingcell","BOGUS","LTE"',  # constructed: unknown state
        '+QENG: "servingcell","NOCONN","LTE","TDD",460,00',  # constructed: truncated
        # constructed: non-hex cell id
        '+QENG: "servingcell","NOCONN","LTE","TDD",460,00,82E8G80,87,38400,39,5,5,550A,'
        "-93,-13,-59,-4,46",
        '+QENG: "neighbourcell intra","LTE",38400,87,-13,-93,-59,-4',  # constructed: other query
    ],
)
def test_qeng_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_qeng_servingcell(text)


# --- +QNWINFO / +QSPN ---------------------------------------------------------------------

QNWINFO_ROWS = [
    (
        '+QNWINFO: "FDD LTE",46011,"LTE BAND 3",1650',
        RadioInfo(rat=Rat.LTE, mcc="460", mnc="11", band="B3"),
        "QAT 06 §6.9",
    ),
    (
        '+QNWINFO: "NR5G-SA",46011,"NR N78",633984',
        RadioInfo(rat=Rat.NR5G, mcc="460", mnc="11", band="n78"),
        "QMT RM500U capture (vendors.md §1.6)",
    ),
    (
        '+QNWINFO: "WCDMA","310410","WCDMA V",4385',
        RadioInfo(rat=Rat.UMTS, mcc="310", mnc="410", band="WCDMA V"),
        "constructed: quoted 6-digit operator",
    ),
    ("+QNWINFO: No Service", RadioInfo(registered=False), "constructed: QAT 06 §6.9 no-service"),
]


@pytest.mark.parametrize(("text", "expected", "source"), QNWINFO_ROWS)
def test_qnwinfo(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_qnwinfo(text) == expected


def test_qnwinfo_malformed() -> None:
    for text in ("", '+QNWINFO: "FDD LTE"', '+QNWINFO: "FOO",46011,"X",1'):  # constructed
        with pytest.raises(ParseError):
            parse_qnwinfo(text)


def test_qspn() -> None:
    assert parse_qspn('+QSPN: "CHN-UNICOM","UNICOM","",0,"46001"\r\nOK') == "CHN-UNICOM"  # QAT
    # constructed: no full name, falls back to the short name
    assert parse_qspn('+QSPN: "","UNICOM","",0,"46001"') == "UNICOM"
    # constructed: UCS2 alphabet ("Movistar" as in MM-tests cops-test-ublox_lara)
    assert parse_qspn('+QSPN: "004D006F007600690073007400610072","","",1,"21407"') == "Movistar"
    assert parse_qspn('+QSPN: "","","",0,"46001"') is None  # constructed: network sent no name
    for bad in ("", '+QSPN: "CHN"', '+QSPN: "ZZ","","",1,"46001"'):  # constructed
        with pytest.raises(ParseError):
            parse_qspn(bad)
