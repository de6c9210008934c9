"""+CSQ, +CESQ and bars of drivers.parsers.common, table-driven over real answers."""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.common import Cesq, bars, parse_cesq, parse_csq

CSQ = [
    # (text, (rssi_dbm, ber), source)
    ("+CSQ: 18,99", (-77, None), "QMT rm500u AT+CSQ capture"),
    ("AT+CSQ\r\r\n+CSQ: 18,99\r\n\r\nOK\r\n", (-77, None), "same, with echo and OK"),
    ("+CSQ: 0,0", (-113, 0), "27.007 §8.5: 0 = -113 dBm or less"),
    ("+CSQ: 1,7", (-111, 7), "27.007 §8.5"),
    ("+CSQ: 31,99", (-51, None), "27.007 §8.5: 31 = -51 dBm or more"),
    ("+CSQ: 99,99", (None, None), "27.007 §8.5: not known"),
    ("+CSQ: 100,99", (-116, None), "QAT 06 §6.3 TD-SCDMA low end"),
    ("+CSQ: 191,99", (-25, None), "QAT 06 §6.3 TD-SCDMA high end"),
    ("+CSQ: 199,99", (None, None), "QAT 06 §6.3 TD-SCDMA not known"),
    ("+CSQ:20,3", (-73, 3), "constructed: no space after the colon"),
    ("+CSQ: 20, 3", (-73, 3), "constructed: space after the comma"),
    ("+CSQ: 32,99", (None, None), "constructed: out of range reads as unknown"),
    ("+CSQ: 192,8", (None, None), "constructed: out of range rssi and ber"),
    ("+CREG: 1\n+CSQ: 25,99", (-63, None), "constructed: URC before the answer"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CSQ)
def test_parse_csq(text: str, expected: tuple[int | None, int | None], source: str) -> None:
    assert parse_csq(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+CSQ:",  # truncated
        "+CSQ: 18",  # truncated
        "+CSQ: 18,",  # truncated
        "+CSQ: a,b",  # garbage
        "+CSQ: -5,99",  # negative
        "18,99",  # no prefix
        "+CESQ: 99,99,255,255,19,51",  # another command's answer
        "AT+CSQ\r\r\n+CME ERROR: 100\r\n",
    ],
)
def test_parse_csq_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_csq(text)


CESQ = [
    (
        "+CESQ: 99,99,255,255,19,51",
        Cesq(rsrq_db=-10.5, rsrp_dbm=-90),
        "QMT air724ug AT_CESQ-61420008.json",
    ),
    ("+CESQ: 99,99,255,255,20,80", Cesq(rsrq_db=-10.0, rsrp_dbm=-61), "MM-tests cesq LTE"),
    ("+CESQ: 99,99,95,40,255,255", Cesq(rscp_dbm=-26, ecno_db=-4.5), "MM-tests cesq UMTS"),
    ("+CESQ: 10,6,255,255,255,255", Cesq(rxlev_dbm=-101, ber=6), "MM-tests cesq GSM"),
    ("+CESQ:10,6,255,255,255,255", Cesq(rxlev_dbm=-101, ber=6), "MM-tests cesq no space"),
    (
        "AT+CESQ\r\r\n+CESQ: 99,99,255,255,19,51\r\n\r\nOK\r\n",
        Cesq(rsrq_db=-10.5, rsrp_dbm=-90),
        "QMT capture with echo and OK",
    ),
    (
        "+CESQ: 0,0,0,0,0,0",
        Cesq(rxlev_dbm=-111, ber=0, rscp_dbm=-121, ecno_db=-24.5, rsrq_db=-20.0, rsrp_dbm=-141),
        "27.007 §8.69: lowest of each range",
    ),
    (
        "+CESQ: 63,7,96,49,34,97",
        Cesq(rxlev_dbm=-48, ber=7, rscp_dbm=-25, ecno_db=0.0, rsrq_db=-3.0, rsrp_dbm=-44),
        "27.007 §8.69: highest of each range",
    ),
    ("+CESQ: 99,99,255,255,255,255", Cesq(), "27.007 §8.69: nothing known"),
    (
        "+CESQ: 64,8,97,50,35,98",
        Cesq(),
        "constructed: one past each range reads as unknown",
    ),
    (
        "+CESQ: 99,99,255,255,19,51,7",
        Cesq(rsrq_db=-10.5, rsrp_dbm=-90),
        "constructed: an extra trailing field is ignored",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), CESQ)
def test_parse_cesq(text: str, expected: Cesq, source: str) -> None:
    assert parse_cesq(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+CESQ: 99,99,255,255,19",  # truncated
        "+CESQ: 99,99,255,255,,51",  # empty field
        "+CESQ: 99,99,255,255,x,51",  # garbage
        "99,99,255,255,19,51",  # no prefix
        "+CSQ: 18,99",
        "AT+CESQ\r\r\nERROR\r\n",
    ],
)
def test_parse_cesq_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cesq(text)


BARS = [
    # (rssi_dbm, rsrp_dbm, bars)
    (None, None, None),
    (-51, None, 4),
    (-73, None, 4),  # +CSQ 20
    (-75, None, 3),
    (-83, None, 3),  # +CSQ 15
    (-85, None, 2),
    (-93, None, 2),  # +CSQ 10
    (-95, None, 1),
    (-103, None, 1),  # +CSQ 5
    (-105, None, 0),
    (-113, None, 0),
    (None, -44, 4),
    (None, -85, 4),
    (None, -86, 3),
    (None, -95, 3),
    (None, -96, 2),
    (None, -105, 2),
    (None, -106, 1),
    (None, -115, 1),
    (None, -116, 0),
    (None, -141, 0),
    (-51, -116, 0),  # RSRP wins over a strong RSSI
    (-113, -80, 4),  # and over a weak one
]


@pytest.mark.parametrize(("rssi", "rsrp", "expected"), BARS)
def test_bars(rssi: int | None, rsrp: int | None, expected: int | None) -> None:
    assert bars(rssi, rsrp) == expected


def test_bars_rssi_only_positional() -> None:
    assert bars(-77) == 3  # "+CSQ: 18,99", QMT rm500u
