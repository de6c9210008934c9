"""Fibocom +XCESQ: rows from ModemManager's XMM tests (vendors.md "MM-tests xmm-xcesq")."""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.fibocom import parse_xcesq
from drivers.parsers.radio import RadioInfo
from drivers.types import Rat

XCESQ_ROWS = [
    (
        "+XCESQ: 0,99,99,255,255,19,46,32",
        RadioInfo(rat=Rat.LTE, rsrq_db=-10.5, rsrp_dbm=-95, sinr_db=16.0),
        "MM-tests xmm-xcesq-1",
    ),
    (
        "+XCESQ: 0,99,99,255,255,19,46,-32",
        RadioInfo(rat=Rat.LTE, rsrq_db=-10.5, rsrp_dbm=-95, sinr_db=-16.0),
        "MM-tests xmm-xcesq-2",
    ),
    (
        "+XCESQ: 0,99,99,255,255,16,47,28",
        RadioInfo(rat=Rat.LTE, rsrq_db=-12.0, rsrp_dbm=-94, sinr_db=14.0),
        "MM-tests xmm-xcesq-3",
    ),
    (
        "+XCESQ: 0,99,99,40,30,255,255,255",
        RadioInfo(rat=Rat.UMTS),
        "constructed: UMTS only (rscp/ecno have no RadioInfo field)",
    ),
    (
        "+XCESQ: 0,40,0,255,255,255,255,255",
        RadioInfo(rat=Rat.GSM, rssi_dbm=-71),
        "constructed: GSM rxlev 40 → -71 dBm",
    ),
    ("+XCESQ: 0,99,99,255,255,255,255,255", RadioInfo(), "constructed: nothing measured"),
]


@pytest.mark.parametrize(("text", "expected", "source"), XCESQ_ROWS)
def test_xcesq(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_xcesq(text + "\r\n\r\nOK\r\n") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        "+XCESQ: 0,99,99,255,255,19,46",  # constructed: truncated
        "+XCESQ: 0,99,99,255,255,19,4b,32",  # constructed: garbage
        "+CESQ: 99,99,255,255,19,51",  # QMT AT_CESQ-61420008.json: the 3GPP command, not this
    ],
)
def test_xcesq_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xcesq(text)
